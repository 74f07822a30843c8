// The daemon as operators run it: a real gigent-server, the LLM emulator on
// a loopback port, and gigent-runtime as a child process getting signals.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

class RuntimeDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    write_config();
  }

  void write_config() { std::ofstream(config_path()) << yaml.to_yaml(); }
  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  std::string credentials_path() const { return dir.file(".gigent-credentials"); }

  std::unique_ptr<ChildProcess> start_runtime(bool wait_ready = true) {
    return spawn_runtime(config_path(), server.url(), dir.path(), wait_ready);
  }

  int stop_runtime(std::unique_ptr<ChildProcess>& child) {
    child->signal(SIGTERM);
    auto code = child->wait_exit(30s);
    all_output += child->output();
    return code.value_or(-1);
  }

  std::string run_cli(const std::vector<std::string>& args, int* exit_code = nullptr) {
    auto run = run_runtime_cli(args, dir.path());
    if (exit_code) *exit_code = run.exit_code;
    all_output += run.output();
    return run.output();
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  std::string all_output;
};

TEST_F(RuntimeDaemon, FirstBootRegistersWith0600CredentialsAndSecondBootReusesThem) {
  auto runtime = start_runtime();
  struct stat st {};
  ASSERT_EQ(::stat(credentials_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto creds = nlohmann::json::parse(slurp(credentials_path()));
  std::string agent_id = creds.value("agent_id", "");
  std::string key = creds.value("api_key", "");
  EXPECT_EQ(key.rfind("sk_", 0), 0u);
  EXPECT_FALSE(creds.value("registered_at", "").empty());
  EXPECT_EQ(stop_runtime(runtime), 0);

  auto again = start_runtime();
  EXPECT_NE(again->output().find("using credentials"), std::string::npos);
  EXPECT_EQ(read_agent_id(credentials_path()), agent_id);
  EXPECT_EQ(stop_runtime(again), 0);

  marketplace::MarketplaceClient client({server.url(), ""});
  auto agents = client.get_agent(agent_id);
  ASSERT_TRUE(agents.ok()) << agents.error;
  EXPECT_EQ(all_output.find(key), std::string::npos) << "the Gigent API key leaked into the output";
}

TEST_F(RuntimeDaemon, GigsArePublishedOnceAcrossRestartsAndPatchedWhenTheYamlChanges) {
  yaml.gig_titles = {"Blog post writer", "Newsletter editor"};
  write_config();
  auto runtime = start_runtime();
  EXPECT_EQ(stop_runtime(runtime), 0);
  runtime = start_runtime();
  EXPECT_EQ(stop_runtime(runtime), 0);
  std::string agent_id = read_agent_id(credentials_path());
  marketplace::MarketplaceClient client({server.url(), ""});
  auto gigs = client.list_gigs(agent_id, {100, 0});
  ASSERT_TRUE(gigs.ok());
  EXPECT_EQ(gigs.body["gigs"].size(), 2u);

  yaml.price_basic = 9.5;
  write_config();
  runtime = start_runtime();
  EXPECT_NE(runtime->output().find("updated gig \"Blog post writer\""), std::string::npos) << runtime->output();
  EXPECT_EQ(stop_runtime(runtime), 0);
  gigs = client.list_gigs(agent_id, {100, 0});
  ASSERT_EQ(gigs.body["gigs"].size(), 2u);
  for (auto& g : gigs.body["gigs"]) EXPECT_DOUBLE_EQ(g.value("price_basic", 0.0), 9.5);
}

TEST_F(RuntimeDaemon, AnOrderIsDeliveredWithTheModelsTextInTheContractShape) {
  auto runtime = start_runtime();
  auto buyer = register_buyer(server.url());
  std::string agent_id = read_agent_id(credentials_path());
  auto order = place_order(server.url(), buyer, gig_id_of(server.url(), agent_id, "Blog post writer"),
                           "Write about write-ahead logs", nlohmann::json{{"audience", "developers"}});
  auto done = wait_for_order_status(server.url(), order["id"], "delivered", 20s);
  ASSERT_EQ(done.value("status", ""), "delivered") << runtime->output();
  auto data = nlohmann::json::parse(done["delivery_data"].get<std::string>());
  EXPECT_EQ(data.value("format", ""), "markdown");
  std::string content = data.value("content", "");
  EXPECT_NE(content.find("Emulated reply to:"), std::string::npos) << content;
  EXPECT_NE(content.find("write-ahead logs"), std::string::npos) << content;
  EXPECT_EQ(emulator.successes(), 1);
  // The prompt carried the system prompt, the brief and the pretty-printed input data.
  auto requests = emulator.recorded_requests();
  ASSERT_EQ(requests.size(), 1u);
  auto body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body.value("system", ""), "You write well.");
  std::string user = body["messages"][0].value("content", "");
  EXPECT_NE(user.find("\"audience\": \"developers\""), std::string::npos) << user;
  EXPECT_EQ(stop_runtime(runtime), 0);
  EXPECT_EQ(all_output.find(yaml.api_key), std::string::npos) << "the LLM key leaked into the output";
}

TEST_F(RuntimeDaemon, JsonDeliveryFormatCarriesTheParsedDocument) {
  yaml.delivery_format = "json";
  write_config();
  auto runtime = start_runtime();
  auto buyer = register_buyer(server.url());
  auto order =
      place_order(server.url(), buyer, gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer"),
                  "Return data [[emulator:json]]");
  auto done = wait_for_order_status(server.url(), order["id"], "delivered", 20s);
  ASSERT_EQ(done.value("status", ""), "delivered") << runtime->output();
  auto data = nlohmann::json::parse(done["delivery_data"].get<std::string>());
  EXPECT_EQ(data.value("format", ""), "json");
  EXPECT_TRUE(data["result"].is_object()) << data.dump();
  EXPECT_EQ(stop_runtime(runtime), 0);
}

TEST_F(RuntimeDaemon, MoreOrdersThanOnePageAreAllDeliveredExactlyOnce) {
  yaml.max_concurrent_orders = 4;
  write_config();
  auto buyer = register_buyer(server.url());
  // Orders placed while no daemon runs: more than a page of the deployed service (20).
  auto runtime = start_runtime();
  std::string gig = gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer");
  EXPECT_EQ(stop_runtime(runtime), 0);
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) ids.push_back(place_order(server.url(), buyer, gig, "Order " + std::to_string(i))["id"]);
  runtime = start_runtime();
  for (auto& id : ids) {
    auto done = wait_for_order_status(server.url(), id, "delivered", 30s);
    EXPECT_EQ(done.value("status", ""), "delivered") << id;
  }
  EXPECT_EQ(emulator.successes(), 25);
  EXPECT_EQ(emulator.requests(), 25);
  EXPECT_EQ(stop_runtime(runtime), 0);
}

// The emulator counts the LLM calls it holds at once, so the limit is checked
// at every instant rather than by sampling the backend's order lists.
TEST_F(RuntimeDaemon, ConcurrencyNeverExceedsTheLimit) {
  yaml.max_concurrent_orders = 2;
  write_config();
  llm_emulator::Action slow;
  slow.delay_ms = 300;
  emulator.set_default(slow);
  auto runtime = start_runtime();
  auto buyer = register_buyer(server.url());
  std::string agent_id = read_agent_id(credentials_path());
  std::string gig = gig_id_of(server.url(), agent_id, "Blog post writer");
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(place_order(server.url(), buyer, gig, "Order " + std::to_string(i))["id"]);
  for (const auto& id : ids) {
    EXPECT_EQ(wait_for_order_status(server.url(), id, "delivered", 30s).value("status", ""), "delivered")
        << runtime->output();
  }
  EXPECT_EQ(emulator.successes(), 6);
  EXPECT_LE(emulator.peak_concurrent(), 2);
  EXPECT_GE(emulator.peak_concurrent(), 1);
  EXPECT_EQ(stop_runtime(runtime), 0);
}

TEST_F(RuntimeDaemon, SigtermMidOrderFinishesTheOrderThenExitsZero) {
  llm_emulator::Action slow;
  slow.delay_ms = 1500;
  emulator.set_default(slow);
  auto runtime = start_runtime();
  auto buyer = register_buyer(server.url());
  auto order = place_order(server.url(), buyer,
                           gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer"), "Slow one");
  ASSERT_TRUE(runtime->wait_for_output("asking anthropic", 20s)) << runtime->output();
  runtime->signal(SIGTERM);
  auto code = runtime->wait_exit(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << runtime->output();
  auto row = wait_for_order_status(server.url(), order["id"], "delivered", 1s);
  EXPECT_EQ(row.value("status", ""), "delivered") << runtime->output();
  EXPECT_NE(runtime->output().find("finishing the ones in flight"), std::string::npos);
}

TEST_F(RuntimeDaemon, StatusReportsTheRunningDaemonAndTheBackendView) {
  auto runtime = start_runtime();
  int code = -1;
  auto text = run_cli({"status", "-c", config_path(), "-u", server.url()}, &code);
  EXPECT_EQ(code, 0) << text;
  EXPECT_NE(text.find("Daemon    running (pid " + std::to_string(runtime->pid())), std::string::npos) << text;
  EXPECT_NE(text.find("Online    yes"), std::string::npos) << text;
  auto json_text = run_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, &code);
  auto json = nlohmann::json::parse(json_text);
  EXPECT_TRUE(json["daemon"].value("running", false));
  EXPECT_EQ(json["backend"]["gigs"].size(), 1u);
  EXPECT_EQ(stop_runtime(runtime), 0);
  text = run_cli({"status", "-c", config_path(), "-u", server.url()}, &code);
  EXPECT_NE(text.find("Daemon    not running"), std::string::npos) << text;
  std::string key = nlohmann::json::parse(slurp(credentials_path())).value("api_key", "");
  EXPECT_EQ(all_output.find(key), std::string::npos);
  EXPECT_EQ(slurp(dir.file(".gigent-state.json")).find(key), std::string::npos);
}

TEST_F(RuntimeDaemon, ASecondDaemonOnTheSameConfigIsRefused) {
  auto runtime = start_runtime();
  SpawnOptions options;
  options.args = {"run", "-c", config_path(), "-u", server.url()};
  ChildProcess second(build_path("gigent-runtime"), options, dir.path());
  auto code = second.wait_exit(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 4) << second.output();
  EXPECT_NE(second.output().find("already running"), std::string::npos);
  EXPECT_EQ(stop_runtime(runtime), 0);
}

TEST_F(RuntimeDaemon, CredentialsReadableByOthersAreRefusedWithTheFix) {
  std::ofstream(credentials_path()) << R"({"agent_id":"x","api_key":"sk_0123456789abcdef0123","registered_at":""})";
  ::chmod(credentials_path().c_str(), 0644);
  auto runtime = start_runtime(false);
  auto code = runtime->wait_exit(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 3);
  EXPECT_NE(runtime->output().find("chmod 600"), std::string::npos) << runtime->output();
  EXPECT_EQ(runtime->output().find("sk_0123456789abcdef0123"), std::string::npos);
}

TEST_F(RuntimeDaemon, AnAgentTheBackendDoesNotKnowStopsBootWithAdvice) {
  std::string fake_key = "sk_" + std::string(48, 'e');
  {
    std::ofstream(credentials_path()) << nlohmann::json{
        {"agent_id", "00000000-0000-4000-8000-000000000000"},
        {"api_key", fake_key},
        {"registered_at",
         "2026-01-01T00:00:00Z"}}.dump();
  }
  ::chmod(credentials_path().c_str(), 0600);
  auto runtime = start_runtime(false);
  auto code = runtime->wait_exit(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 3);
  EXPECT_NE(runtime->output().find("does not know agent"), std::string::npos) << runtime->output();
  EXPECT_EQ(runtime->output().find("online and ready"), std::string::npos);
  EXPECT_EQ(runtime->output().find(fake_key), std::string::npos);
}

TEST_F(RuntimeDaemon, NoLlmKeyForThePublicApiStopsBootBeforeRegistering) {
  yaml.base_url = "";  // the public Anthropic endpoint
  yaml.api_key = "";   // and ANTHROPIC_API_KEY is unset for the child
  write_config();
  auto runtime = start_runtime(false);
  auto code = runtime->wait_exit(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2) << runtime->output();
  EXPECT_NE(runtime->output().find("ANTHROPIC_API_KEY"), std::string::npos) << runtime->output();
  EXPECT_FALSE(std::filesystem::exists(credentials_path())) << "nothing may be registered";
}

TEST_F(RuntimeDaemon, InitWritesAValidTemplateAndValidateReportsPositions) {
  int code = -1;
  std::string init_dir = dir.file("fresh");
  run_cli({"init", "--dir", init_dir}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_TRUE(std::filesystem::exists(init_dir + "/gigent-agent.yaml"));
  auto gitignore = slurp(init_dir + "/.gitignore");
  EXPECT_NE(gitignore.find(".gigent-credentials"), std::string::npos);
  run_cli({"init", "--dir", init_dir}, &code);
  EXPECT_EQ(code, 2) << "init must refuse to overwrite without --force";
  auto template_out = run_cli({"validate", "-c", init_dir + "/gigent-agent.yaml"}, &code);
  EXPECT_EQ(code, 2) << "`run` would refuse the template without an LLM key, so validate does too";
  EXPECT_NE(template_out.find("ANTHROPIC_API_KEY"), std::string::npos) << template_out;

  std::string broken = dir.file("broken.yaml");
  std::ofstream(broken) << "agent:\n  name: \"X\"\nowner:\n  wallet: \"0x123\"\nruntime:\n  poll_interval_secs: 5\n";
  auto out = run_cli({"validate", "-c", broken}, &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find(broken + ":4:11: owner.wallet:"), std::string::npos) << out;
  EXPECT_NE(out.find(broken + ":6:3: warning: runtime.poll_interval_secs:"), std::string::npos) << out;
  EXPECT_NE(out.find("poll_interval_seconds"), std::string::npos) << "a did-you-mean suggestion: " << out;
}

TEST_F(RuntimeDaemon, WithAutoDeliverOffTheResultIsKeptAndListedAsAwaitingDelivery) {
  yaml.auto_deliver = false;
  write_config();
  auto runtime = start_runtime();
  auto buyer = register_buyer(server.url());
  auto order = place_order(server.url(), buyer,
                           gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer"), "Hold it");
  std::string id = order["id"];
  ASSERT_TRUE(runtime->wait_for_output("auto_deliver is off", 20s)) << runtime->output();
  int code = -1;
  auto status = nlohmann::json::parse(run_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, &code));
  EXPECT_EQ(code, 0);
  bool listed = false;
  for (auto& item : status["daemon"]["awaiting_delivery"]) listed = listed || item.value("order_id", "") == id;
  EXPECT_TRUE(listed) << status.dump(2);
  auto row = wait_for_order_status(server.url(), id, "in_progress", 1s);
  EXPECT_EQ(row.value("status", ""), "in_progress") << "nothing is delivered while auto_deliver is off";
  EXPECT_EQ(emulator.successes(), 1);

  // The operator reviews the kept result, then sends it.
  auto shown = run_cli({"deliver", "-c", config_path(), "-u", server.url(), "--show", id}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(shown.find("Emulated reply to:"), std::string::npos) << shown;
  run_cli({"deliver", "-c", config_path(), "-u", server.url(), id}, &code);
  EXPECT_EQ(code, 0);
  row = wait_for_order_status(server.url(), id, "delivered", 5s);
  EXPECT_EQ(row.value("status", ""), "delivered");
  EXPECT_EQ(emulator.successes(), 1) << "delivering a kept result costs no LLM call";
  run_cli({"deliver", "-c", config_path(), "-u", server.url(), id}, &code);
  EXPECT_EQ(code, 1) << "a result is delivered once";
  EXPECT_EQ(stop_runtime(runtime), 0);
}

TEST_F(RuntimeDaemon, JsonLogLinesCarryTimestampLevelComponentAndMessage) {
  auto runtime = spawn_runtime(config_path(), server.url(), dir.path(), true, {"--log-format", "json"});
  EXPECT_EQ(stop_runtime(runtime), 0);
  std::istringstream lines(runtime->stdout_text());
  int parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << "not a JSON line: " << line;
    for (const char* key : {"ts", "level", "component", "msg"}) EXPECT_TRUE(json.contains(key)) << line;
    parsed++;
  }
  EXPECT_GE(parsed, 3);
  EXPECT_NE(runtime->stdout_text().find("\"msg\":\"Agent is online and ready"), std::string::npos);
}

}  // namespace
