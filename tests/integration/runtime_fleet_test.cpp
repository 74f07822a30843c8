// Many agents in one gigent-runtime process (`run --agents-dir`, several -c),
// against the real gigent-server and the LLM emulator: each agent keeps its
// own identity and files, a broken config stops only its agent, SIGHUP picks
// up added, removed and fixed configs, an agent's max_concurrent_orders holds
// in the shared pool, and orders are picked up both through the multi-agent
// wait and, against a server without it, by polling.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "engine/lock_file.h"
#include "fault_proxy.h"
#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/json_client.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

class RuntimeFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    std::filesystem::create_directories(agents_dir());
  }

  std::string agents_dir() const { return dir.path() + "/agents"; }
  std::string config_of(const std::string& stem) const { return agents_dir() + "/" + stem + ".yaml"; }
  std::string files_of(const std::string& stem) const { return agents_dir() + "/.gigent/" + stem; }

  // Agent `stem` sells one gig, "<stem> gig", under its own wallet.
  void write_agent(const std::string& stem, int n, int max_concurrent_orders = 2) {
    AgentYaml yaml;
    yaml.name = "Fleet " + stem;
    yaml.wallet = fmt::format("0x{:040x}", 0xf000 + n);
    yaml.base_url = emulator.url();
    yaml.max_concurrent_orders = max_concurrent_orders;
    yaml.gig_titles = {stem + " gig"};
    std::ofstream(config_of(stem)) << yaml.to_yaml();
  }

  ChildProcess& start_fleet(const std::string& url, std::vector<std::string> extra = {}) {
    SpawnOptions options;
    options.args = {"run", "--agents-dir", agents_dir(), "-u", url};
    options.args.insert(options.args.end(), extra.begin(), extra.end());
    options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GIGENT_API_URL"};
    fleet = std::make_unique<ChildProcess>(build_path("gigent-runtime"), options, dir.path());
    return *fleet;
  }

  std::string order_for(const std::string& stem, const std::string& brief) {
    if (buyer.id.empty()) buyer = register_buyer(server.url(), 77);
    const auto gig = gig_id_of(server.url(), read_agent_id(files_of(stem) + "/.gigent-credentials"), stem + " gig");
    return place_order(server.url(), buyer, gig, brief)["id"];
  }

  nlohmann::json state_of(const std::string& stem) {
    std::ifstream in(files_of(stem) + "/.gigent-state.json");
    auto json = nlohmann::json::parse(in, nullptr, false);
    return json.is_object() ? json : nlohmann::json::object();
  }

  CliRun fleet_status() { return run_runtime_cli({"status", "--agents-dir", agents_dir()}, dir.path()); }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  Buyer buyer;
  std::unique_ptr<ChildProcess> fleet;
};

TEST_F(RuntimeFleet, AgentsInOneProcessKeepTheirOwnIdentityAndABrokenConfigStopsOnlyItsAgent) {
  for (int n = 1; n <= 3; ++n) write_agent(fmt::format("a{}", n), n);
  std::ofstream(config_of("broken")) << "agent: [\n";
  const auto listen_port = free_tcp_port();
  auto& runtime = start_fleet(server.url(), {"--listen", fmt::format("127.0.0.1:{}", listen_port)});
  ASSERT_TRUE(runtime.wait_for_output("3 agent(s) online, 1 failed", 60s)) << runtime.output();
  // The operator's endpoint speaks for the whole process: the broken config
  // fails /healthz by name, /status lists every agent.
  json_http::Client endpoint(fmt::format("http://127.0.0.1:{}", listen_port));
  const auto health = endpoint.call("GET", "/healthz");
  EXPECT_EQ(health.status, 503) << health.raw;
  EXPECT_NE(health.raw.find("broken.yaml: config"), std::string::npos) << health.raw;
  const auto status_answer = endpoint.call("GET", "/status");
  ASSERT_EQ(status_answer.status, 200) << status_answer.raw;
  EXPECT_EQ(status_answer.body["agents"].size(), 4U) << status_answer.raw;
  // The broken file is reported with its position, and its agent only is left out.
  EXPECT_NE(runtime.output().find("broken.yaml:2:1"), std::string::npos) << runtime.output();

  std::set<std::string> agent_ids;
  for (int n = 1; n <= 3; ++n) {
    const std::string stem = fmt::format("a{}", n);
    agent_ids.insert(read_agent_id(files_of(stem) + "/.gigent-credentials"));
    EXPECT_TRUE(std::filesystem::exists(files_of(stem) + "/.gigent-journal.db")) << stem;
  }
  EXPECT_EQ(agent_ids.size(), 3U) << "each config registers its own agent";
  EXPECT_FALSE(std::filesystem::exists(agents_dir() + "/.gigent-credentials")) << "files of agents must not mix";

  std::vector<std::pair<std::string, std::string>> orders;
  for (int n = 1; n <= 3; ++n) {
    const std::string stem = fmt::format("a{}", n);
    orders.emplace_back(stem, order_for(stem, "A short note for " + stem));
  }
  for (const auto& [stem, id] : orders) {
    auto row = wait_for_order_status(server.url(), id, "delivered", 30s);
    EXPECT_EQ(row.value("status", ""), "delivered") << stem << "\n" << runtime.output();
  }
  // Each agent's journal and counters hold its own order only.
  for (int n = 1; n <= 3; ++n) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
      if (state_of(fmt::format("a{}", n))["counters"].value("delivered", 0) == 1) break;
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(state_of(fmt::format("a{}", n))["counters"].value("delivered", 0), 1) << n;
  }

  auto status = fleet_status();
  EXPECT_EQ(status.exit_code, 1) << "one agent does not run: " << status.output();
  for (const char* name : {"Fleet a1", "Fleet a2", "Fleet a3"})
    EXPECT_NE(status.stdout_text.find(name), std::string::npos) << status.output();
  EXPECT_NE(status.stdout_text.find("failed"), std::string::npos) << status.output();
  EXPECT_NE(status.stdout_text.find("broken.yaml:2:1"), std::string::npos) << status.output();
  // One agent's view, as for a one-agent daemon.
  auto one = run_runtime_cli({"status", "-c", config_of("a2"), "-u", server.url(), "--json"}, dir.path());
  auto one_json = nlohmann::json::parse(one.stdout_text, nullptr, false);
  ASSERT_TRUE(one_json.is_object()) << one.output();
  EXPECT_TRUE(one_json["daemon"].value("running", false)) << one.output();
  EXPECT_EQ(one_json["agent_name"], "Fleet a2");

  runtime.signal(SIGTERM);
  EXPECT_EQ(runtime.wait_exit(30s).value_or(-1), 0) << runtime.output();
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(state_of(fmt::format("a{}", n)).value("phase", ""), "stopped");
  EXPECT_EQ(runtime.output().find("LLMSECRET"), std::string::npos) << "an LLM key was logged";
}

TEST_F(RuntimeFleet, SighupStartsAddedAndFixedConfigsAndStopsRemovedOnes) {
  write_agent("first", 1);
  std::ofstream(config_of("later")) << "agent: [\n";
  auto& runtime = start_fleet(server.url());
  ASSERT_TRUE(runtime.wait_for_output("1 agent(s) online, 1 failed", 60s)) << runtime.output();

  write_agent("later", 2);  // fixed
  write_agent("added", 3);  // new
  std::filesystem::remove(config_of("first"));
  runtime.signal(SIGHUP);
  ASSERT_TRUE(runtime.wait_for_output("online as \"Fleet later\"", 30s)) << runtime.output();
  ASSERT_TRUE(runtime.wait_for_output("online as \"Fleet added\"", 30s)) << runtime.output();
  ASSERT_TRUE(runtime.wait_for_output("\"Fleet first\" stopped", 30s)) << runtime.output();
  EXPECT_FALSE(engine::lock_is_held(files_of("first") + "/.gigent-runtime.lock"))
      << "a removed agent must release its lock, so another process may run it";

  const auto id = order_for("added", "Hello from a config added at run time");
  EXPECT_EQ(wait_for_order_status(server.url(), id, "delivered", 30s).value("status", ""), "delivered")
      << runtime.output();
  EXPECT_TRUE(runtime.running()) << runtime.output();
  runtime.signal(SIGTERM);
  EXPECT_EQ(runtime.wait_exit(30s).value_or(-1), 0) << runtime.output();
}

TEST_F(RuntimeFleet, AnAgentsMaxConcurrentOrdersHoldsInTheSharedPool) {
  write_agent("narrow", 1, /*max_concurrent_orders=*/1);
  write_agent("wide", 2, /*max_concurrent_orders=*/3);
  llm_emulator::Action slow;
  slow.delay_ms = 400;
  emulator.set_default(slow);
  auto& runtime = start_fleet(server.url(), {"--workers", "8"});
  ASSERT_TRUE(runtime.wait_for_output("2 agent(s) online, 0 failed", 60s)) << runtime.output();
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(order_for("narrow", fmt::format("Narrow order {}", i)));
  for (const auto& id : ids)
    EXPECT_EQ(wait_for_order_status(server.url(), id, "delivered", 30s).value("status", ""), "delivered")
        << runtime.output();
  EXPECT_EQ(emulator.peak_concurrent(), 1) << "the narrow agent ran more than its one order at a time";

  ids.clear();
  for (int i = 0; i < 3; ++i) ids.push_back(order_for("wide", fmt::format("Wide order {}", i)));
  for (const auto& id : ids)
    EXPECT_EQ(wait_for_order_status(server.url(), id, "delivered", 30s).value("status", ""), "delivered")
        << runtime.output();
  EXPECT_GE(emulator.peak_concurrent(), 2) << "the wide agent's orders should run side by side";
  runtime.signal(SIGTERM);
  EXPECT_EQ(runtime.wait_exit(30s).value_or(-1), 0) << runtime.output();
}

TEST_F(RuntimeFleet, WithoutTheMultiAgentWaitEachAgentPollsOnItsOwn) {
  // The deployed service's view: no multi_agent_wait in /api/health, no route.
  FaultProxy proxy(server.url());
  proxy.set_rule([](const http::Request& request) {
    if (request.target.rfind("/api/health", 0) == 0)
      return respond(200, R"({"status":"ok","name":"Gigent","features":["order_status_list","heartbeat"]})");
    if (request.target.rfind("/api/orders/wait", 0) == 0) return respond(404, R"({"error":"Not found"})");
    return forward();
  });
  write_agent("p1", 1);
  write_agent("p2", 2);
  auto& runtime = start_fleet(proxy.url());
  ASSERT_TRUE(runtime.wait_for_output("2 agent(s) online, 0 failed", 60s)) << runtime.output();
  EXPECT_NE(runtime.output().find("offers no multi-agent wait"), std::string::npos) << runtime.output();
  const auto id = order_for("p2", "Picked up by polling");
  EXPECT_EQ(wait_for_order_status(server.url(), id, "delivered", 30s).value("status", ""), "delivered")
      << runtime.output();
  runtime.signal(SIGTERM);
  EXPECT_EQ(runtime.wait_exit(30s).value_or(-1), 0) << runtime.output();
}

TEST_F(RuntimeFleet, SeveralConfigFilesInTheirOwnFoldersKeepTheirFilesNextToThem) {
  // `-c` files in folders of their own keep the one-agent layout, so a
  // config that ran alone before keeps its identity in a fleet.
  AgentYaml yaml;
  yaml.base_url = emulator.url();
  std::vector<std::string> configs;
  for (int n = 1; n <= 2; ++n) {
    const std::string folder = fmt::format("{}/solo{}", dir.path(), n);
    std::filesystem::create_directories(folder);
    yaml.name = fmt::format("Solo {}", n);
    yaml.wallet = fmt::format("0x{:040x}", 0xe000 + n);
    yaml.gig_titles = {fmt::format("Solo gig {}", n)};
    std::ofstream(folder + "/gigent-agent.yaml") << yaml.to_yaml();
    configs.push_back(folder + "/gigent-agent.yaml");
  }
  SpawnOptions options;
  options.args = {"run", "-c", configs[0], "-c", configs[1], "-u", server.url()};
  options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GIGENT_API_URL"};
  ChildProcess runtime(build_path("gigent-runtime"), options, dir.path());
  ASSERT_TRUE(runtime.wait_for_output("2 agent(s) online, 0 failed", 60s)) << runtime.output();
  for (int n = 1; n <= 2; ++n) {
    const std::string folder = fmt::format("{}/solo{}", dir.path(), n);
    EXPECT_TRUE(std::filesystem::exists(folder + "/.gigent-credentials")) << folder;
    EXPECT_FALSE(std::filesystem::exists(folder + "/.gigent")) << folder;
  }
  auto status = run_runtime_cli({"status", "-c", configs[0], "-c", configs[1]}, dir.path());
  EXPECT_EQ(status.exit_code, 0) << status.output();
  EXPECT_NE(status.stdout_text.find("Solo 2"), std::string::npos) << status.output();
  runtime.signal(SIGTERM);
  EXPECT_EQ(runtime.wait_exit(30s).value_or(-1), 0) << runtime.output();
}

}  // namespace
