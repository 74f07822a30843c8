// The llm-emulator binary as another process would use it: the listening
// line, scripts and stats over HTTP, API validation, clean stop on SIGTERM.
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/client.h"
#include "support/process.h"

namespace {

using gigent::testing::ChildProcess;
using gigent::testing::TempDir;
using nlohmann::json;

class EmulatorProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gigent::testing::SpawnOptions options;
    options.args = {"--port", "0", "--api-key", "sk-process-key"};
    process = std::make_unique<ChildProcess>(gigent::testing::build_path("llm-emulator"), options, dir.path());
    const auto line = process->wait_for_output("llm-emulator listening on ", std::chrono::seconds(10));
    ASSERT_TRUE(line) << process->output();
    url = line->substr(line->find("http://"));
    while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  }

  gigent::http::ClientResponse call(const std::string& method, const std::string& path, const std::string& body,
                                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    gigent::http::ClientRequest request;
    request.method = method;
    request.url = url + path;
    request.body = body;
    request.headers = std::move(headers);
    request.headers.emplace_back("content-type", "application/json");
    const auto result = client.perform(request);
    EXPECT_TRUE(result.ok()) << result.error;
    return result.response;
  }

  gigent::http::ClientResponse anthropic(const std::string& body, const std::string& key = "sk-process-key") {
    return call("POST", "/v1/messages", body, {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}});
  }

  TempDir dir;
  std::unique_ptr<ChildProcess> process;
  std::string url;
  gigent::http::Client client;
};

const std::string kValidAnthropic =
    R"({"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"hi"}]})";

TEST_F(EmulatorProcessTest, ScriptOverHttpThenStatsCountOneSuccess) {
  auto scripted = call("POST", "/_emulator/script",
                       R"([{"action":"rate_limit","retry_after_ms":"5"},{"action":"server_error"},"ok"])");
  ASSERT_EQ(scripted.status, 200) << scripted.body;
  EXPECT_EQ(json::parse(scripted.body)["queued"], 3);

  const auto first = anthropic(kValidAnthropic);
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(first.header("retry-after-ms"), "5");
  EXPECT_TRUE(first.header("request-id"));
  EXPECT_EQ(json::parse(first.body)["error"]["type"], "rate_limit_error");
  EXPECT_EQ(anthropic(kValidAnthropic).status, 500);
  const auto ok = anthropic(kValidAnthropic);
  ASSERT_EQ(ok.status, 200);
  const json body = json::parse(ok.body);
  EXPECT_EQ(body["type"], "message");
  EXPECT_EQ(body["model"], "claude-x");
  EXPECT_EQ(body["id"].get<std::string>().rfind("msg_", 0), 0u);

  const json stats = json::parse(call("GET", "/_emulator/stats", "").body);
  EXPECT_EQ(stats["requests"], 3);
  EXPECT_EQ(stats["successes"], 1);
  EXPECT_EQ(stats["by_api"]["anthropic"], 3);

  EXPECT_EQ(call("POST", "/_emulator/reset", "").status, 200);
  EXPECT_EQ(json::parse(call("GET", "/_emulator/stats", "").body)["requests"], 0);
}

TEST_F(EmulatorProcessTest, DefaultActionOverHttp) {
  ASSERT_EQ(call("POST", "/_emulator/default", R"({"action":"overloaded"})").status, 200);
  EXPECT_EQ(anthropic(kValidAnthropic).status, 529);
  EXPECT_EQ(anthropic(kValidAnthropic).status, 529);
  EXPECT_EQ(call("POST", "/_emulator/default", R"({"action":"nonsense"})").status, 400);
}

TEST_F(EmulatorProcessTest, ValidatesLikeTheRealApis) {
  const auto no_model = anthropic(R"({"max_tokens":5,"messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(no_model.status, 400);
  EXPECT_EQ(json::parse(no_model.body)["error"]["type"], "invalid_request_error");
  EXPECT_EQ(anthropic(R"({"model":"m","messages":[{"role":"user","content":"x"}]})").status, 400);
  EXPECT_EQ(anthropic(R"({"model":"m","max_tokens":5})").status, 400);
  EXPECT_EQ(anthropic("{not json").status, 400);
  const auto wrong_key = anthropic(kValidAnthropic, "sk-other");
  EXPECT_EQ(wrong_key.status, 401);
  EXPECT_EQ(json::parse(wrong_key.body)["error"]["type"], "authentication_error");

  const auto openai_no_key =
      call("POST", "/v1/chat/completions", R"({"model":"g","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(openai_no_key.status, 401);
  const auto openai_no_messages =
      call("POST", "/v1/chat/completions", R"({"model":"g"})", {{"authorization", "Bearer sk-process-key"}});
  EXPECT_EQ(openai_no_messages.status, 400);
  EXPECT_EQ(json::parse(openai_no_messages.body)["error"]["param"], "messages");
  const auto openai_ok =
      call("POST", "/v1/chat/completions", R"({"model":"g","messages":[{"role":"user","content":"x"}]})",
           {{"authorization", "Bearer sk-process-key"}});
  ASSERT_EQ(openai_ok.status, 200);
  const json body = json::parse(openai_ok.body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(openai_ok.header("x-request-id"));
  // Validation failures never consume the script.
  EXPECT_EQ(json::parse(call("GET", "/_emulator/stats", "").body)["successes"], 1);
}

// The request log lists each API request in arrival order, refused ones
// too, with its body and never its key; a reset empties it.
TEST_F(EmulatorProcessTest, TheRequestLogListsEveryApiRequestWithoutItsKey) {
  const std::string second = R"({"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"two"}]})";
  EXPECT_EQ(anthropic(kValidAnthropic).status, 200);
  EXPECT_EQ(anthropic(second, "sk-wrong-key").status, 401);
  const auto listed = call("GET", "/_emulator/requests", "");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find("sk-"), std::string::npos) << listed.body;
  const json requests = json::parse(listed.body)["requests"];
  ASSERT_EQ(requests.size(), 2u) << listed.body;
  EXPECT_EQ(requests[0]["api"], "anthropic");
  EXPECT_EQ(requests[0]["path"], "/v1/messages");
  EXPECT_EQ(requests[0]["body"], kValidAnthropic);
  EXPECT_EQ(requests[1]["body"], second);
  EXPECT_EQ(call("POST", "/_emulator/reset", "").status, 200);
  EXPECT_TRUE(json::parse(call("GET", "/_emulator/requests", "").body)["requests"].empty());
}

// Three requests held unanswered at once are three in flight; answered ones
// leave the count, and the peak remembers the most seen together.
TEST_F(EmulatorProcessTest, StatsReportThePeakOfConcurrentRequests) {
  ASSERT_EQ(call("POST", "/_emulator/script", R"(["hang","hang","hang"])").status, 200);
  std::vector<std::thread> callers;
  callers.reserve(3);
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([this] {
      gigent::http::Client own_client;
      gigent::http::ClientRequest request;
      request.method = "POST";
      request.url = url + "/v1/messages";
      request.body = kValidAnthropic;
      request.headers = {{"x-api-key", "sk-process-key"}, {"anthropic-version", "2023-06-01"}};
      own_client.perform(request);  // ends when the reset below drops the connection
    });
  }
  json stats;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    stats = json::parse(call("GET", "/_emulator/stats", "").body);
  } while (stats["hanging"] != 3 && std::chrono::steady_clock::now() < give_up);
  EXPECT_EQ(stats["in_flight"], 3);
  EXPECT_EQ(stats["peak_concurrent"], 3);

  EXPECT_EQ(call("POST", "/_emulator/reset", "").status, 200);
  for (auto& caller : callers) caller.join();
  stats = json::parse(call("GET", "/_emulator/stats", "").body);
  EXPECT_EQ(stats["in_flight"], 0);
  EXPECT_EQ(stats["peak_concurrent"], 0);

  // One after another never overlaps, however many.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(anthropic(kValidAnthropic).status, 200);
  stats = json::parse(call("GET", "/_emulator/stats", "").body);
  EXPECT_EQ(stats["in_flight"], 0);
  EXPECT_EQ(stats["peak_concurrent"], 1);
}

TEST_F(EmulatorProcessTest, StopsCleanlyOnSigterm) {
  process->signal(SIGTERM);
  EXPECT_EQ(process->wait_exit(std::chrono::seconds(10)), 0);
}

TEST(EmulatorProcessScriptFileTest, ScriptFileIsLoadedAtStart) {
  TempDir dir;
  {
    std::FILE* file = std::fopen(dir.file("script.json").c_str(), "w");
    ASSERT_TRUE(file);
    std::fputs(R"([{"action":"error","status":503}])", file);
    std::fclose(file);
  }
  gigent::testing::SpawnOptions options;
  options.args = {"--script", dir.file("script.json")};
  ChildProcess process(gigent::testing::build_path("llm-emulator"), options, dir.path());
  const auto line = process.wait_for_output("listening on ", std::chrono::seconds(10));
  ASSERT_TRUE(line);
  std::string url = line->substr(line->find("http://"));
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  gigent::http::Client client;
  gigent::http::ClientRequest request;
  request.method = "POST";
  request.url = url + "/v1/chat/completions";
  request.body = R"({"model":"g","messages":[{"role":"user","content":"x"}]})";
  EXPECT_EQ(client.perform(request).response.status, 503);
  EXPECT_EQ(client.perform(request).response.status, 200);
}

}  // namespace
