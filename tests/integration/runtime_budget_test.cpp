// Spend limits and choosing orders through the real daemon, a real
// gigent-server and the LLM emulator: a day's budget stops acceptance (also
// across a restart) and the next UTC day resumes it, with the daemon's clock
// moved by GIGENT_TEST_CLOCK_FILE; an order outside runtime.auto_accept's
// rule waits for the operator and is worked once accepted by hand; and `try`
// prints a delivery with no server at all.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/json_client.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDay1 = "1893499200";  // 2030-01-01 12:00 UTC
constexpr const char* kDay2 = "1893585600";  // 2030-01-02 12:00 UTC

std::string with_execution(const AgentYaml& yaml, const std::string& extra) {
  std::string text = yaml.to_yaml();
  const std::string anchor = "  max_tokens: 500\n";
  text.insert(text.find(anchor) + anchor.size(), extra);
  return text;
}

CliRun run_cli(const std::vector<std::string>& args, const std::string& dir,
               const std::map<std::string, std::string>& env = {}) {
  SpawnOptions options;
  options.args = args;
  options.env = env;
  options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GIGENT_API_URL"};
  ChildProcess child(build_path("gigent-runtime"), options, dir);
  CliRun run;
  run.exit_code = child.wait_exit(60s).value_or(-1);
  run.stdout_text = child.stdout_text();
  run.stderr_text = child.stderr_text();
  return run;
}

class RuntimeBudget : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.extra_runtime = "  long_poll_seconds: 0\n";
    set_clock(kDay1);
  }

  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  std::map<std::string, std::string> clock_env() const { return {{"GIGENT_TEST_CLOCK_FILE", dir.file("clock")}}; }
  void set_clock(const char* unix_seconds) { std::ofstream(dir.file("clock")) << unix_seconds << "\n"; }

  std::unique_ptr<ChildProcess> start_runtime(const std::vector<std::string>& extra_args = {}) {
    SpawnOptions options;
    options.args = {"run", "-c", config_path(), "-u", server.url()};
    options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
    options.env = clock_env();
    options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GIGENT_API_URL"};
    auto child = std::make_unique<ChildProcess>(build_path("gigent-runtime"), options, dir.path());
    EXPECT_TRUE(child->wait_for_output("Agent is online and ready", 60s)) << child->output();
    return child;
  }

  int stop_runtime(ChildProcess& child) {
    child.signal(SIGTERM);
    return child.wait_exit(60s).value_or(-1);
  }

  // Places an order of `tier` as the buyer (registered on first use).
  std::string order(const std::string& brief, const std::string& tier = "basic") {
    if (buyer.id.empty()) buyer = register_buyer(server.url());
    const std::string gig = gig_id_of(server.url(), read_agent_id(dir.file(".gigent-credentials")), "Blog post writer");
    if (tier == "basic") return place_order(server.url(), buyer, gig, brief)["id"];
    marketplace::MarketplaceClient client({server.url(), buyer.api_key});
    auto placed = client.place_order(
        {{"gig_id", gig}, {"buyer_id", buyer.id}, {"brief", brief}, {"tier", tier}, {"pay_now", false}});
    EXPECT_TRUE(placed.ok()) << placed.error;
    return placed.body.value("id", "");
  }

  std::string status_of(const std::string& order_id) {
    marketplace::MarketplaceClient client({server.url(), buyer.api_key});
    auto row = client.get_order(order_id);
    return row.ok() ? row.body.value("status", "") : "unreadable: " + row.error;
  }

  std::string wait_for_status(const std::string& order_id, const std::string& wanted) {
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    std::string now = status_of(order_id);
    while (now != wanted && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
      now = status_of(order_id);
    }
    return now;
  }

  nlohmann::json status_json() {
    auto run = run_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, dir.path(), clock_env());
    auto json = nlohmann::json::parse(run.stdout_text, nullptr, false);
    EXPECT_TRUE(json.is_object()) << run.output();
    return json.is_object() ? json : nlohmann::json::object();
  }

  // The rule leaves a dear order pending; `accept` hands it to the daemon.
  void operator_accepts_what_the_rule_leaves(const std::string& extra_runtime);

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  Buyer buyer;
};

TEST_F(RuntimeBudget, AUsedUpDayLeavesNewOrdersPendingAcrossARestartUntilTheNextUtcDay) {
  // One token a day: the first order uses it up (and is finished all the same).
  std::ofstream(config_path()) << with_execution(yaml, "  budget:\n    max_tokens_per_day: 1\n");
  auto runtime = start_runtime();
  const std::string first = order("Write about tea");
  ASSERT_EQ(wait_for_status(first, "delivered"), "delivered") << runtime->output();

  const std::string second = order("Write about coffee");
  ASSERT_TRUE(runtime->wait_for_output("new orders stay pending", 60s)) << runtime->output();
  EXPECT_EQ(status_of(second), "pending");
  auto status = status_json();
  EXPECT_EQ(status["budget"]["day"], "2030-01-01") << status.dump(2);
  EXPECT_EQ(status["budget"]["used_up"], true) << status.dump(2);
  EXPECT_GT(status["budget"]["tokens"].get<long long>(), 0) << status.dump(2);
  EXPECT_EQ(status["budget"]["max_tokens_per_day"], 1) << status.dump(2);
  EXPECT_EQ(status["daemon"]["budget"]["used_up"], true) << "the daemon's own report: " << status.dump(2);
  auto text = run_cli({"status", "-c", config_path(), "-u", server.url()}, dir.path(), clock_env());
  EXPECT_NE(text.stdout_text.find("budget used up"), std::string::npos) << text.output();
  ASSERT_EQ(stop_runtime(*runtime), 0) << runtime->output();
  EXPECT_EQ(runtime->output().find("order " + second + ": asking"), std::string::npos) << runtime->output();

  // The spend is in the journal: a restarted daemon still refuses today,
  // and its /metrics says how much was used.
  const std::uint16_t port = free_tcp_port();
  auto restarted = start_runtime({"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(restarted->wait_for_output("new orders stay pending", 60s)) << restarted->output();
  json_http::Client metrics("http://127.0.0.1:" + std::to_string(port));
  const std::string exposition = metrics.get("/metrics").raw;
  const std::string series = "\ngigent_runtime_budget_tokens_used_today ";
  const auto at = exposition.find(series);
  ASSERT_NE(at, std::string::npos) << exposition;
  EXPECT_EQ(std::stoll(exposition.substr(at + series.size())), status["budget"]["tokens"].get<long long>());
  EXPECT_EQ(status_of(second), "pending");
  EXPECT_EQ(emulator.requests(), 1);

  set_clock(kDay2);
  EXPECT_EQ(wait_for_status(second, "delivered"), "delivered") << restarted->output();
  EXPECT_TRUE(restarted->wait_for_output("allows new orders again", 10s)) << restarted->output();
  EXPECT_EQ(emulator.requests(), 2);
  EXPECT_EQ(stop_runtime(*restarted), 0) << restarted->output();
}

TEST_F(RuntimeBudget, AnOrderOutsideTheRuleWaitsForTheOperatorAndIsWorkedOnceAcceptedByHand) {
  operator_accepts_what_the_rule_leaves("");
}

TEST_F(RuntimeBudget, WithReplicasAnOrderAcceptedByHandIsWorkedToo) {
  operator_accepts_what_the_rule_leaves("  allow_replicas: true\n");
}

void RuntimeBudget::operator_accepts_what_the_rule_leaves(const std::string& extra_runtime) {
  yaml.extra_runtime += extra_runtime + "  auto_accept:\n    max_price: 10\n";  // basic costs 5, standard 15
  std::ofstream(config_path()) << with_execution(yaml, "");
  auto runtime = start_runtime();
  const std::string cheap = order("Write about tea");
  ASSERT_EQ(wait_for_status(cheap, "delivered"), "delivered") << runtime->output();

  const std::string dear = order("Write about coffee", "standard");
  ASSERT_TRUE(runtime->wait_for_output("order " + dear + " left pending for the operator", 60s)) << runtime->output();
  EXPECT_EQ(status_of(dear), "pending");
  auto status = status_json();
  const auto& held = status["backend"]["held_for_operator"];
  ASSERT_EQ(held.size(), 1u) << status.dump(2);
  EXPECT_EQ(held[0]["order_id"], dear);
  EXPECT_EQ(held[0]["tier"], "standard");
  EXPECT_NE(held[0]["why"].get<std::string>().find("max_price"), std::string::npos) << held.dump();
  EXPECT_EQ(emulator.requests(), 1);

  auto bad = run_cli({"accept", "-c", config_path(), "-u", server.url(), "not an id"}, dir.path());
  EXPECT_EQ(bad.exit_code, 2) << bad.output();
  auto done = run_cli({"accept", "-c", config_path(), "-u", server.url(), cheap}, dir.path());
  EXPECT_EQ(done.exit_code, 1) << done.output();
  EXPECT_NE(done.stderr_text.find("only a pending order"), std::string::npos) << done.output();

  auto accepted = run_cli({"accept", "-c", config_path(), "-u", server.url(), dear}, dir.path());
  ASSERT_EQ(accepted.exit_code, 0) << accepted.output();
  EXPECT_NE(accepted.stdout_text.find("accepted"), std::string::npos) << accepted.output();
  EXPECT_EQ(wait_for_status(dear, "delivered"), "delivered") << runtime->output();
  EXPECT_EQ(emulator.requests(), 2);
  auto again = run_cli({"accept", "-c", config_path(), "-u", server.url(), dear}, dir.path());
  EXPECT_EQ(again.exit_code, 1) << "a delivered order is not pending: " << again.output();
  EXPECT_EQ(stop_runtime(*runtime), 0) << runtime->output();
}

class RuntimeTry : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
  }
  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  CliRun run_try(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"try", "-c", config_path()};
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all, dir.path());
  }

  TempDir dir;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
};

TEST_F(RuntimeTry, PrintsTheDeliveryTokensAndCostWithNoServerAndNoCredentials) {
  std::ofstream(config_path()) << with_execution(yaml,
                                                 "  budget:\n    max_tokens_per_order: 300\n"
                                                 "    price_per_million_input_tokens: 3\n"
                                                 "    price_per_million_output_tokens: 15\n");
  auto run = run_try({"Write about tea", "--input", R"({"audience": "students"})"});
  ASSERT_EQ(run.exit_code, 0) << run.output();
  EXPECT_NE(run.stdout_text.find("Emulated reply to:"), std::string::npos) << run.output();
  EXPECT_NE(run.stdout_text.find("anthropic claude-test"), std::string::npos) << run.output();
  EXPECT_NE(run.stdout_text.find("Cost      $"), std::string::npos) << run.output();
  EXPECT_EQ(run.output().find(yaml.api_key), std::string::npos) << "the LLM key was printed";
  EXPECT_EQ(run.output().find("LLMSECRET"), std::string::npos) << "part of the LLM key was printed";

  // What reached the model is the daemon's prompt, within the order's cap.
  const auto requests = emulator.recorded_requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["system"], "You write well.");
  const std::string user = body["messages"][0]["content"];
  EXPECT_EQ(user.rfind("## Brief\nWrite about tea\n\n## Input data\n```json\n", 0), 0u) << user;
  EXPECT_NE(user.find("\"audience\": \"students\""), std::string::npos) << user;
  EXPECT_LT(body["max_tokens"].get<int>(), 300) << "max_tokens 500 capped by max_tokens_per_order less the prompt";

  auto json_run = run_try({"--gig", "blog post writer", "--tier", "standard", "Write about tea", "--json"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.output();
  const auto report = nlohmann::json::parse(json_run.stdout_text, nullptr, false);
  ASSERT_TRUE(report.is_object()) << json_run.output();
  EXPECT_EQ(report["gig"], "Blog post writer");
  EXPECT_EQ(report["tier"], "standard");
  EXPECT_EQ(report["price"], 15);
  EXPECT_EQ(report["provider"], "anthropic");
  EXPECT_EQ(report["model"], "claude-test");
  EXPECT_GT(report["input_tokens"].get<long long>(), 0);
  EXPECT_GT(report["output_tokens"].get<long long>(), 0);
  const double expected_cost =
      (report["input_tokens"].get<double>() * 3 + report["output_tokens"].get<double>() * 15) / 1e6;
  EXPECT_NEAR(report["cost_usd"].get<double>(), expected_cost, 1e-12);
  EXPECT_EQ(report["delivery"]["format"], "markdown");
  EXPECT_NE(report["delivery"]["content"].get<std::string>().find("Emulated reply to:"), std::string::npos);
  EXPECT_FALSE(std::ifstream(dir.file(".gigent-credentials")).good()) << "try registered nothing";
}

TEST_F(RuntimeTry, RefusesWhatTheDaemonWouldRefuseBeforeAnyCall) {
  std::ofstream(config_path()) << with_execution(yaml, "  budget:\n    max_tokens_per_order: 5\n");
  auto unknown_gig = run_try({"--gig", "No such gig", "Write about tea"});
  EXPECT_EQ(unknown_gig.exit_code, 2) << unknown_gig.output();
  EXPECT_NE(unknown_gig.stderr_text.find("\"Blog post writer\""), std::string::npos) << unknown_gig.output();
  auto no_tier = run_try({"--tier", "premium", "Write about tea"});
  EXPECT_EQ(no_tier.exit_code, 2) << no_tier.output();
  auto not_json = run_try({"Write about tea", "--input", "{not json"});
  EXPECT_EQ(not_json.exit_code, 2) << not_json.output();
  auto over_cap = run_try({"Write a long essay about the history of tea in twelve chapters"});
  EXPECT_EQ(over_cap.exit_code, 1) << over_cap.output();
  EXPECT_NE(over_cap.stderr_text.find("max_tokens_per_order allows 5"), std::string::npos) << over_cap.output();
  EXPECT_EQ(emulator.requests(), 0);
}

}  // namespace
