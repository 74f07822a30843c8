// Provider fallback, cancellation mid-call and streaming through the whole
// product: the real daemon, a real gigent-server and LLM emulators. The
// primary returning 529 hands orders to the fallback; a buyer who cancels
// while the model works stops the call and gets nothing delivered; both
// providers deliver streamed answers.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

#include <sqlite3.h>

#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

const std::string kFallbackKey = "sk-fallback-FALLBACKSECRET-0123456789";

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

// The journal's row for an order: {state, answered_by}; empty when none.
std::pair<std::string, std::string> journal_row(const std::string& path, const std::string& order_id) {
  sqlite3* db = nullptr;
  std::pair<std::string, std::string> out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT state, answered_by FROM jobs WHERE order_id = ?", -1, &stmt, nullptr) ==
      SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, order_id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      out.first = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      out.second = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

class RuntimeProviders : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.extra_runtime = "  long_poll_seconds: 2\n";
  }

  std::string config_path() const { return dir.path() + "/gigent-agent.yaml"; }

  void write_config(const std::string& extra_execution = "") {
    std::ofstream(config_path()) << replace_once(yaml.to_yaml(), "  max_tokens: 500\n",
                                                 "  max_tokens: 500\n" + extra_execution);
  }

  ChildProcess& start_runtime() {
    runtimes.push_back(spawn_runtime(config_path(), server.url(), dir.path(), /*wait_ready=*/true));
    return *runtimes.back();
  }

  int stop_runtime(ChildProcess& child) {
    child.signal(SIGTERM);
    return child.wait_exit(30s).value_or(-1);
  }

  std::string order(const std::string& brief) {
    if (buyer.id.empty()) buyer = register_buyer(server.url());
    const std::string gig =
        gig_id_of(server.url(), read_agent_id(dir.path() + "/.gigent-credentials"), "Blog post writer");
    return place_order(server.url(), buyer, gig, brief)["id"];
  }

  nlohmann::json status_json() {
    auto run = run_runtime_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, dir.path());
    auto json = nlohmann::json::parse(run.stdout_text, nullptr, false);
    return json.is_object() ? json : nlohmann::json::object();
  }

  std::string journal_path() const { return dir.path() + "/.gigent-journal.db"; }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  Buyer buyer;
  std::vector<std::unique_ptr<ChildProcess>> runtimes;
};

llm_emulator::Action overloaded_529() {
  llm_emulator::Action action;
  action.kind = "error";
  action.status = 529;
  action.retry_after_ms = "10";
  return action;
}

TEST_F(RuntimeProviders, AFallbackProviderAnswersWhileThePrimaryReturns529) {
  llm_emulator::LlmEmulator fallback;
  fallback.start();
  emulator.set_default(overloaded_529());  // the primary, anthropic
  write_config("  max_retries: 1\n  fallback:\n    - provider: openai\n      model: gpt-fallback\n      api_key: \"" +
               kFallbackKey + "\"\n      base_url: \"" + fallback.url() + "\"\n");
  auto& runtime = start_runtime();
  const std::string id = order("Write about lighthouses");
  auto row = wait_for_order_status(server.url(), id, "delivered", 60s);
  ASSERT_EQ(row.value("status", ""), "delivered") << runtime.output();
  EXPECT_NE(row.dump().find("answered by gpt-fallback"), std::string::npos) << row.dump();
  EXPECT_EQ(emulator.requests(), 2);  // the primary's attempt and its one retry
  EXPECT_EQ(fallback.successes(), 1);
  EXPECT_EQ(fallback.recorded_requests().at(0).headers.at("authorization"), "Bearer " + kFallbackKey);

  EXPECT_EQ(journal_row(journal_path(), id),
            std::make_pair(std::string("delivered"), std::string("openai/gpt-fallback")));
  EXPECT_NE(runtime.output().find("falling back to openai (gpt-fallback)"), std::string::npos) << runtime.output();
  EXPECT_NE(runtime.output().find("openai (gpt-fallback) answered"), std::string::npos) << runtime.output();
  const auto llm = status_json()["daemon"].value("llm", nlohmann::json::object());
  EXPECT_EQ(llm["answered_by"].value("openai/gpt-fallback", 0), 1) << llm.dump();
  EXPECT_EQ(llm["fallbacks"].value("anthropic->openai", 0), 1) << llm.dump();
  EXPECT_EQ(llm["retries_by_reason"].value("overloaded", 0), 1) << llm.dump();

  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
  EXPECT_EQ(runtime.output().find(kFallbackKey), std::string::npos);
  EXPECT_EQ(runtime.output().find(yaml.api_key), std::string::npos);
}

TEST_F(RuntimeProviders, AnOrderTheBuyerCancelsMidCallIsAbortedAndNothingIsDelivered) {
  llm_emulator::Action hang;
  hang.kind = "hang";
  emulator.push(hang);
  write_config();
  auto& runtime = start_runtime();
  const std::string id = order("Cancel me while you think");
  ASSERT_TRUE(wait_until([&] { return emulator.stats().value("hanging", 0) >= 1; }, 30s)) << runtime.output();

  marketplace::MarketplaceClient as_buyer({server.url(), buyer.api_key});
  ASSERT_TRUE(as_buyer.set_order_status(id, "cancelled", buyer.id).ok());
  ASSERT_TRUE(runtime.wait_for_output("was cancelled by the buyer while the model worked on it", 30s))
      << runtime.output();
  EXPECT_EQ(journal_row(journal_path(), id).first, "cancelled");

  // The daemon goes on serving, and the cancelled order is never asked again.
  const std::string next = order("The next one");
  auto row = wait_for_order_status(server.url(), next, "delivered", 30s);
  ASSERT_EQ(row.value("status", ""), "delivered") << runtime.output();
  EXPECT_EQ(emulator.requests(), 2);
  EXPECT_EQ(wait_for_order_status(server.url(), id, "cancelled", 5s).value("status", ""), "cancelled");
  EXPECT_EQ(status_json()["daemon"]["counters"].value("cancelled", 0), 1);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
  EXPECT_EQ(runtime.output().find("order " + id + " delivered"), std::string::npos) << runtime.output();
  EXPECT_EQ(journal_row(journal_path(), id).first, "cancelled");
}

class RuntimeStreaming : public RuntimeProviders, public ::testing::WithParamInterface<std::string> {};

INSTANTIATE_TEST_SUITE_P(BothProviders, RuntimeStreaming, ::testing::Values("anthropic", "openai"),
                         [](const auto& info) { return info.param; });

TEST_P(RuntimeStreaming, AStreamedAnswerIsDelivered) {
  yaml.provider = GetParam();
  write_config("  stream: \"true\"\n");
  auto& runtime = start_runtime();
  const std::string id = order("Stream me a story");
  auto row = wait_for_order_status(server.url(), id, "delivered", 30s);
  ASSERT_EQ(row.value("status", ""), "delivered") << runtime.output();
  // The whole reply, assembled from the stream: the emulator echoes the prompt and closes with its count.
  EXPECT_NE(row.dump().find("Emulated reply to: ## Brief Stream me a story"), std::string::npos) << row.dump();
  EXPECT_NE(row.dump().find("words received; answered by claude-test)"), std::string::npos) << row.dump();
  EXPECT_EQ(emulator.streamed(), 1);
  EXPECT_NE(runtime.output().find(", streamed"), std::string::npos) << runtime.output();
  EXPECT_EQ(journal_row(journal_path(), id).second, GetParam() + "/claude-test");
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

}  // namespace
