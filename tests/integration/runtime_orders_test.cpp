// Orders a buyer (or a broken network) makes hostile, through the real
// daemon, a real gigent-server, the fault proxy and the LLM emulator: input
// nested a million levels deep, a prompt larger than the cap, a reply the
// backend will never accept, ids that are empty or 100 KB long, and an accept
// whose answer was lost. Each ends in a defined state the operator and the
// buyer are told about, and the daemon keeps serving.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <sqlite3.h>

#include "fault_proxy.h"
#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

bool buyer_was_told(const nlohmann::json& row, const std::string& words) {
  for (auto& m : row.value("messages", nlohmann::json::array()))
    if (m.value("content", "").find(words) != std::string::npos) return true;
  return false;
}

class RuntimeOrders : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.max_concurrent_orders = 2;
    yaml.extra_runtime = "  long_poll_seconds: 2\n";
  }

  std::string config_path() const { return dir.path() + "/gigent-agent.yaml"; }

  void write_config(const std::string& extra_execution = "") {
    std::ofstream(config_path()) << replace_once(yaml.to_yaml(), "  max_tokens: 500\n",
                                                 "  max_tokens: 500\n" + extra_execution);
  }

  ChildProcess& start_runtime(const std::string& url) {
    runtimes.push_back(spawn_runtime(config_path(), url, dir.path(), /*wait_ready=*/true));
    return *runtimes.back();
  }

  int stop_runtime(ChildProcess& child) {
    child.signal(SIGTERM);
    return child.wait_exit(30s).value_or(-1);
  }

  std::string gig_id() {
    return gig_id_of(server.url(), read_agent_id(dir.path() + "/.gigent-credentials"), "Blog post writer");
  }

  std::string order(const std::string& brief, const nlohmann::json& input = nullptr) {
    if (buyer.id.empty()) buyer = register_buyer(server.url());
    return place_order(server.url(), buyer, gig_id(), brief, input)["id"];
  }

  nlohmann::json status_json() {
    auto run = run_runtime_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, dir.path());
    auto json = nlohmann::json::parse(run.stdout_text, nullptr, false);
    return json.is_object() ? json : nlohmann::json::object();
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  Buyer buyer;
  std::vector<std::unique_ptr<ChildProcess>> runtimes;
};

// ---------------------------------------------------------------- input

TEST_F(RuntimeOrders, InputNestedAMillionLevelsDeepIsAPoisonOrderTheBuyerIsToldAbout) {
  yaml.extra_runtime += "  failed_order_action: reject\n";
  // A cap large enough that only the nesting stops this order.
  write_config("  max_input_tokens: 10000000\n");
  auto& first = start_runtime(server.url());  // registers the agent and its gig
  ASSERT_EQ(stop_runtime(first), 0) << first.output();

  // Placed while no runtime runs; should the server refuse such input, the
  // row is written directly, as the deployed service stores it.
  const std::string hostile = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  std::string id;
  try {
    id = order("Summarise my data", hostile);
  } catch (const std::exception&) {
    id = order("Summarise my data");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(server.db_path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE orders SET input_data = ? WHERE id = ?", -1, &stmt, nullptr), SQLITE_OK);
    sqlite3_bind_text(stmt, 1, hostile.data(), static_cast<int>(hostile.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    // The server caches order pages until its own next write: restart it so
    // it serves the row as written.
    server.restart();
  }

  auto& runtime = start_runtime(server.url());
  auto row = wait_for_order_status(server.url(), id, "cancelled", 30s);
  ASSERT_EQ(row.value("status", ""), "cancelled") << runtime.output();
  EXPECT_TRUE(buyer_was_told(row, "nested more than 64 levels")) << row.value("messages", nlohmann::json()).dump();
  EXPECT_EQ(emulator.requests(), 0) << "a poison order reached the paid LLM";
  ASSERT_TRUE(runtime.running()) << runtime.output();

  // Still serving, and a restart does not pick the poison order up again.
  auto fine = order("A normal order");
  EXPECT_EQ(wait_for_order_status(server.url(), fine, "delivered", 30s).value("status", ""), "delivered")
      << runtime.output();
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
  auto& again = start_runtime(server.url());
  EXPECT_EQ(stop_runtime(again), 0) << again.output();
  EXPECT_EQ(again.output().find("order " + id + ":"), std::string::npos) << again.output();
  EXPECT_EQ(emulator.requests(), 1);
}

TEST_F(RuntimeOrders, APromptAboveMaxInputTokensIsNotRunAndTheBuyerIsToldWhy) {
  write_config("  max_input_tokens: 1000\n");  // failed_order_action: leave (the default)
  auto& runtime = start_runtime(server.url());
  auto id = order(std::string(8000, 'w'));  // about 2,000 tokens
  ASSERT_TRUE(runtime.wait_for_output("failed for good", 30s)) << runtime.output();
  EXPECT_NE(runtime.output().find("execution.max_input_tokens allows 1,000"), std::string::npos) << runtime.output();
  auto row = wait_for_order_status(server.url(), id, "in_progress", 5s);
  EXPECT_EQ(row.value("status", ""), "in_progress") << "leave: the order is left as it is";
  ASSERT_TRUE(FaultProxy::wait_until(
      [&] {
        row = wait_for_order_status(server.url(), id, "in_progress", 1s);
        return buyer_was_told(row, "too large for this agent");
      },
      10s))
      << row.dump(2);
  EXPECT_EQ(emulator.requests(), 0) << "an order above the cap reached the paid LLM";

  nlohmann::json status;
  ASSERT_TRUE(FaultProxy::wait_until(
      [&] {
        status = status_json();
        return !status.value("daemon", nlohmann::json::object())
                    .value("failed_orders", nlohmann::json::array())
                    .empty();
      },
      10s))
      << status.dump(2);
  auto failed = status["daemon"]["failed_orders"];
  EXPECT_EQ(failed[0].value("order_id", ""), id);
  EXPECT_NE(failed[0].value("last_error", "").find("too large"), std::string::npos) << failed.dump();
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

// ---------------------------------------------------------------- delivery

TEST_F(RuntimeOrders, ADeliveryAnswered413EndsInTheFailedOrderPolicyNotInRetriesForever) {
  yaml.extra_runtime += "  failed_order_action: cancel\n";
  write_config();
  FaultProxy proxy(server.url());
  proxy.set_rule([](const http::Request& r) {
    return delivered_order_id(r).empty() ? forward() : respond(413, R"({"error":"Request body too large"})");
  });
  auto& runtime = start_runtime(proxy.url());
  auto id = order("A reply the backend will not take");
  auto row = wait_for_order_status(server.url(), id, "cancelled", 30s);
  ASSERT_EQ(row.value("status", ""), "cancelled") << runtime.output();
  EXPECT_TRUE(buyer_was_told(row, "marketplace refused it")) << row.value("messages", nlohmann::json()).dump();
  EXPECT_EQ(proxy.deliver_posts(id), 1) << "a permanent refusal was retried";
  EXPECT_EQ(proxy.deliveries(id), 0);
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_NE(runtime.output().find("HTTP 413"), std::string::npos) << runtime.output();
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

TEST_F(RuntimeOrders, ATransientDeliveryFailureIsListedInStatusWithAttemptsAndNextTry) {
  write_config();
  FaultProxy proxy(server.url());
  proxy.set_rule([](const http::Request& r) {
    return delivered_order_id(r).empty() ? forward() : respond(503, R"({"error":"Service Unavailable"})");
  });
  auto& runtime = start_runtime(proxy.url());
  auto id = order("Delivered later");
  nlohmann::json status;
  ASSERT_TRUE(FaultProxy::wait_until(
      [&] {
        status = status_json();
        return !status.value("daemon", nlohmann::json::object())
                    .value("retrying_orders", nlohmann::json::array())
                    .empty();
      },
      30s))
      << status.dump(2) << runtime.output();
  auto item = status["daemon"]["retrying_orders"][0];
  EXPECT_EQ(item.value("order_id", ""), id);
  EXPECT_EQ(item.value("attempts", 0), 1);
  EXPECT_GT(item.value("next_attempt_at", 0LL), 0LL);
  EXPECT_NE(item.value("last_error", "").find("HTTP 503"), std::string::npos) << item.dump();
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

// ---------------------------------------------------------------- ids

TEST_F(RuntimeOrders, InvalidOrderIdsAreNeverAcceptedAndReportedOnceWithoutTheWholeId) {
  write_config();
  FaultProxy proxy(server.url());
  const std::string huge(100'000, 'a');
  nlohmann::json page = {{"orders",
                          {{{"id", ""}, {"status", "pending"}, {"brief", "x"}},
                           {{"id", huge}, {"status", "pending"}, {"brief", "x"}},
                           {{"id", "evil\n[error] forged\x1b[2J"}, {"status", "pending"}, {"brief", "x"}}}},
                         {"total", 3}};
  auto lists = std::make_shared<std::atomic<int>>(0);
  auto status_changes = std::make_shared<std::atomic<int>>(0);
  auto& runtime = start_runtime(proxy.url());
  proxy.set_rule([page, lists, status_changes](const http::Request& r) {
    if (r.method == "GET" && r.path == "/api/orders" && r.target.find("status=pending") != std::string::npos) {
      ++*lists;
      return respond(200, page.dump());
    }
    if (r.method == "PATCH") ++*status_changes;
    return forward();
  });
  ASSERT_TRUE(FaultProxy::wait_until([&] { return lists->load() >= 4; }, 30s)) << runtime.output();
  EXPECT_EQ(status_changes->load(), 0) << "an order with an invalid id was accepted";
  const std::string out = runtime.output();
  EXPECT_EQ(count_of(out, "id is not valid"), 3u) << out.substr(0, 4000);
  EXPECT_EQ(out.find(std::string(1000, 'a')), std::string::npos) << "a 100 KB id was written to the log";
  EXPECT_NE(out.find("(100000 bytes)"), std::string::npos);
  EXPECT_EQ(out.find("\n[error] forged"), std::string::npos) << "an id forged a log line";
  EXPECT_TRUE(runtime.running());
  EXPECT_EQ(stop_runtime(runtime), 0) << out;
}

// ---------------------------------------------------------------- retries

TEST_F(RuntimeOrders, AnAcceptWhoseAnswerWasLostIsContinuedNotForgotten) {
  // With replicas an order without this process's journal record is left to
  // "the other replica": forgetting it after the lost answer strands it.
  yaml.extra_runtime += "  allow_replicas: true\n";
  write_config();
  FaultProxy proxy(server.url());
  auto lost = std::make_shared<std::atomic<bool>>(false);
  proxy.set_rule([lost](const http::Request& r) {
    if (r.method == "PATCH" && r.body.find("\"accepted\"") != std::string::npos && !lost->exchange(true))
      return garble_after_forwarding(502, "<html>Bad Gateway</html>");  // applied, answer lost
    return forward();
  });
  auto& runtime = start_runtime(proxy.url());
  auto id = order("Accepted, answer lost");
  auto row = wait_for_order_status(server.url(), id, "delivered", 30s);
  EXPECT_EQ(row.value("status", ""), "delivered") << runtime.output();
  EXPECT_TRUE(lost->load());
  EXPECT_NE(runtime.output().find("an earlier accept went through"), std::string::npos) << runtime.output();
  EXPECT_EQ(proxy.deliver_posts(id), 1);
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

// ---------------------------------------------------------------- shutdown

TEST_F(RuntimeOrders, AShutdownDuringAnAcceptIsNotRetried) {
  write_config();
  FaultProxy proxy(server.url());
  proxy.set_rule([](const http::Request& r) {
    return r.method == "PATCH" && r.body.find("\"accepted\"") != std::string::npos ? hold() : forward();
  });
  auto& runtime = start_runtime(proxy.url());
  order("Accepted as we stop");
  ASSERT_TRUE(FaultProxy::wait_until([&] { return proxy.held() >= 1; }, 20s)) << runtime.output();
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
  EXPECT_EQ(runtime.output().find("cancelled by shutdown; retry in"), std::string::npos) << runtime.output();
  EXPECT_EQ(proxy.held(), 1u) << "the accept was sent again after the shutdown began";
}

}  // namespace
