// Retry behaviour of both providers, driven through a scripted transport,
// a fake clock and a sleeper that records instead of waiting, so every
// schedule is checked to the millisecond.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/cancel.h"
#include "config/config.h"
#include "executor/anthropic.h"
#include "executor/openai.h"
#include "executor/retry.h"
#include "http/client.h"

namespace gigent::executor::testing {

class FakeTransport final : public http::Transport {
 public:
  http::ClientResult perform(const http::ClientRequest& request) override {
    requests.push_back(request);
    if (results.empty()) {
      http::ClientResult none;
      none.error = "fake transport: no scripted result left";
      return none;
    }
    http::ClientResult next = results.front();
    results.pop_front();
    return next;
  }
  void respond(int status, std::string body, std::map<std::string, std::string> headers = {}) {
    http::ClientResult result;
    result.response.status = status;
    result.response.body = std::move(body);
    result.response.headers = std::move(headers);
    results.push_back(result);
  }
  void fail_transport(std::string error, bool timed_out = false, bool cancelled = false) {
    http::ClientResult result;
    result.error = std::move(error);
    result.timed_out = timed_out;
    result.cancelled = cancelled;
    results.push_back(result);
  }
  std::deque<http::ClientResult> results;
  std::vector<http::ClientRequest> requests;
};

class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return steady; }
  std::chrono::system_clock::time_point wall() const override { return wall_time; }
  void advance(std::chrono::milliseconds d) {
    steady += d;
    wall_time += d;
  }
  std::chrono::steady_clock::time_point steady{};
  std::chrono::system_clock::time_point wall_time =
      std::chrono::system_clock::from_time_t(1'750'000'000);  // a fixed instant in 2025
};

class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock& clock) : clock_(clock) {}
  bool sleep_for(std::chrono::milliseconds d, const Cancellation& cancel) override {
    sleeps.push_back(d.count());
    if (cancel_during_sleep && sleeps.size() == cancel_on_sleep_number) {
      cancel_during_sleep->cancel();
    }
    if (cancel.cancelled()) return false;
    clock_.advance(d);
    return true;
  }
  std::vector<long long> sleeps;
  // Fires this cancellation during the Nth sleep (1-based) when set.
  Cancellation* cancel_during_sleep = nullptr;
  std::size_t cancel_on_sleep_number = 1;

 private:
  FakeClock& clock_;
};

}  // namespace gigent::executor::testing

namespace gigent::executor {
namespace {

using nlohmann::json;
using testing::FakeClock;
using testing::FakeSleeper;
using testing::FakeTransport;

const std::string kKey = "sk-test-SECRET-0123456789abcdef";

std::string success_body(const std::string& provider, const std::string& text = "hello", const std::string& stop = "") {
  if (provider == "anthropic") {
    return json{{"id", "msg_1"},
                {"type", "message"},
                {"role", "assistant"},
                {"model", "claude-test"},
                {"content", json::array({{{"type", "text"}, {"text", text}}})},
                {"stop_reason", stop.empty() ? "end_turn" : stop},
                {"usage", {{"input_tokens", 12}, {"output_tokens", 3}}}}
        .dump();
  }
  return json{{"id", "chatcmpl-1"},
              {"object", "chat.completion"},
              {"model", "gpt-test"},
              {"choices", json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", text}}},
                                        {"finish_reason", stop.empty() ? "stop" : stop}}})},
              {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 3}}}}
      .dump();
}

std::string error_body(const std::string& provider, const std::string& type, const std::string& message,
                       const std::string& code = "") {
  if (provider == "anthropic") {
    return json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}.dump();
  }
  return json{
      {"error",
       {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code.empty() ? json(nullptr) : json(code)}}}}
      .dump();
}

class RetryTest : public ::testing::TestWithParam<std::string> {
 protected:
  RetryTest() : sleeper(clock) {
    execution.provider = GetParam();
    execution.api_key = kKey;
    execution.model = GetParam() == "anthropic" ? "claude-test" : "gpt-test";
  }

  std::unique_ptr<LlmProvider> provider(double jitter = 0.0) {
    auto jitter_fn = [jitter] { return jitter; };
    if (GetParam() == "anthropic") {
      return std::make_unique<AnthropicProvider>(execution, transport, sleeper, clock, jitter_fn);
    }
    return std::make_unique<OpenAiProvider>(execution, transport, sleeper, clock, jitter_fn);
  }

  // Runs complete() expecting failure; returns the error.
  LlmError complete_expecting_error(double jitter = 0.0) {
    auto llm = provider(jitter);
    try {
      llm->complete({"system", "user"}, cancel);
    } catch (const LlmError& error) {
      return error;
    }
    ADD_FAILURE() << "complete() succeeded but an error was expected";
    return LlmError("none", false, 0, "");
  }

  std::string server_error_type() const { return GetParam() == "anthropic" ? "api_error" : "server_error"; }

  config::ExecutionSection execution;
  FakeTransport transport;
  FakeClock clock;
  FakeSleeper sleeper;
  Cancellation cancel;
};

INSTANTIATE_TEST_SUITE_P(BothProviders, RetryTest, ::testing::Values("anthropic", "openai"),
                         [](const auto& info) { return info.param; });

TEST_P(RetryTest, BackoffDoublesFromHalfASecondAndCapsAtEightSeconds) {
  execution.max_retries = 6;
  for (int i = 0; i < 7; ++i) transport.respond(500, error_body(GetParam(), server_error_type(), "boom"));
  const LlmError error = complete_expecting_error();
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{500, 1000, 2000, 4000, 8000, 8000}));
  EXPECT_EQ(transport.requests.size(), 7u);
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.http_status(), 500);
  EXPECT_EQ(error.error_type(), server_error_type());
  EXPECT_NE(std::string(error.what()).find("after 7 attempts"), std::string::npos) << error.what();
}

TEST_P(RetryTest, JitterTakesOffAtMostAQuarter) {
  execution.max_retries = 3;
  for (int i = 0; i < 4; ++i) transport.respond(503, "upstream unavailable");
  complete_expecting_error(/*jitter=*/1.0);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{375, 750, 1500}));
}

TEST_P(RetryTest, HalfJitterGivesSevenEighths) {
  execution.max_retries = 1;
  transport.respond(500, "");
  transport.respond(200, success_body(GetParam()));
  const LlmResult result = provider(0.5)->complete({"", "hi"}, cancel);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{438}));  // 500 * (1 - 0.125), rounded
  EXPECT_EQ(result.attempts, 2);
}

TEST_P(RetryTest, DefaultBudgetIsThreeRetries) {
  for (int i = 0; i < 10; ++i) transport.respond(429, error_body(GetParam(), "rate_limit_error", "slow down"));
  const LlmError error = complete_expecting_error();
  EXPECT_EQ(transport.requests.size(), 4u);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{500, 1000, 2000}));
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.http_status(), 429);
}

TEST_P(RetryTest, ZeroRetriesMeansOneAttempt) {
  execution.max_retries = 0;
  transport.respond(500, "");
  transport.respond(200, success_body(GetParam()));
  const LlmError error = complete_expecting_error();
  EXPECT_EQ(transport.requests.size(), 1u);
  EXPECT_TRUE(sleeper.sleeps.empty());
  EXPECT_TRUE(error.retryable());
}

TEST_P(RetryTest, RetryAfterMsIsHonoured) {
  transport.respond(429, error_body(GetParam(), "rate_limit_error", "slow"), {{"retry-after-ms", "1234"}});
  transport.respond(200, success_body(GetParam()));
  const LlmResult result = provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{1234}));
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(result.latency.count(), 1234);  // the fake clock moved only while sleeping
}

TEST_P(RetryTest, RetryAfterSecondsIsHonoured) {
  transport.respond(429, "", {{"retry-after", "3"}});
  transport.respond(200, success_body(GetParam()));
  provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{3000}));
}

TEST_P(RetryTest, RetryAfterHttpDateIsHonoured) {
  // FakeClock's wall time is 1750000000 = Sun, 15 Jun 2025 15:06:40 GMT.
  transport.respond(503, "", {{"retry-after", "Sun, 15 Jun 2025 15:06:47 GMT"}});
  transport.respond(200, success_body(GetParam()));
  provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{7000}));
}

TEST_P(RetryTest, RetryAfterMsWinsOverRetryAfter) {
  transport.respond(429, "", {{"retry-after-ms", "250"}, {"retry-after", "9"}});
  transport.respond(200, success_body(GetParam()));
  provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{250}));
}

TEST_P(RetryTest, UnparseableOrZeroRetryAfterFallsBackToBackoff) {
  transport.respond(429, "", {{"retry-after", "soon"}});
  transport.respond(429, "", {{"retry-after-ms", "0"}});
  transport.respond(200, success_body(GetParam()));
  provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{500, 1000}));
}

TEST_P(RetryTest, ServerWaitLongerThanSixtySecondsFailsWithAReason) {
  transport.respond(429, error_body(GetParam(), "rate_limit_error", "daily limit"), {{"retry-after", "120"}});
  transport.respond(200, success_body(GetParam()));
  const LlmError error = complete_expecting_error();
  EXPECT_TRUE(sleeper.sleeps.empty());
  EXPECT_EQ(transport.requests.size(), 1u);
  EXPECT_TRUE(error.retryable());
  const std::string what = error.what();
  EXPECT_NE(what.find("asked to wait 120 s"), std::string::npos) << what;
  EXPECT_NE(what.find("60 s cap"), std::string::npos) << what;
}

TEST_P(RetryTest, ServerWaitOfExactlySixtySecondsIsHonoured) {
  transport.respond(429, "", {{"retry-after", "60"}});
  transport.respond(200, success_body(GetParam()));
  provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{60000}));
}

TEST_P(RetryTest, ShouldRetryFalseOverridesARetryableStatus) {
  transport.respond(500, error_body(GetParam(), server_error_type(), "no point"), {{"x-should-retry", "false"}});
  const LlmError error = complete_expecting_error();
  EXPECT_EQ(transport.requests.size(), 1u);
  EXPECT_FALSE(error.retryable());
  EXPECT_EQ(error.http_status(), 500);
}

TEST_P(RetryTest, ShouldRetryTrueOverridesAPermanentStatus) {
  transport.respond(400, error_body(GetParam(), "invalid_request_error", "odd"), {{"x-should-retry", "true"}});
  transport.respond(200, success_body(GetParam()));
  const LlmResult result = provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{500}));
}

TEST_P(RetryTest, ClientErrorsAreNeverRetried) {
  for (int status : {400, 401, 403, 404, 422}) {
    transport.requests.clear();
    transport.results.clear();
    transport.respond(status, error_body(GetParam(), "invalid_request_error", "bad " + std::to_string(status)));
    transport.respond(200, success_body(GetParam()));
    const LlmError error = complete_expecting_error();
    EXPECT_EQ(transport.requests.size(), 1u) << status;
    EXPECT_FALSE(error.retryable()) << status;
    EXPECT_EQ(error.http_status(), status);
  }
  EXPECT_TRUE(sleeper.sleeps.empty());
}

TEST_P(RetryTest, TransientStatusesAreRetried) {
  for (int status : {408, 409, 429, 500, 502, 503, 504, 529}) {
    transport.requests.clear();
    transport.respond(status, "");
    transport.respond(200, success_body(GetParam()));
    const LlmResult result = provider()->complete({"", "hi"}, cancel);
    EXPECT_EQ(result.attempts, 2) << status;
  }
}

TEST_P(RetryTest, OverloadedIsRetriedThenSucceeds) {
  transport.respond(529, error_body(GetParam(), "overloaded_error", "Overloaded"));
  transport.respond(529, error_body(GetParam(), "overloaded_error", "Overloaded"));
  transport.respond(200, success_body(GetParam(), "finally"));
  const LlmResult result = provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(result.text, "finally");
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{500, 1000}));
}

TEST_P(RetryTest, QuotaAndBillingErrorsAreNeverRetried) {
  struct Case {
    int status;
    std::string type, code;
  };
  std::vector<Case> cases = {
      {402, "billing_error", ""}, {429, "insufficient_quota", "insufficient_quota"}, {400, "billing_error", ""}};
  // Only OpenAI's error body has a code besides the type.
  if (GetParam() == "openai") cases.push_back({429, "requests", "insufficient_quota"});
  for (const auto& c : cases) {
    transport.requests.clear();
    transport.results.clear();
    transport.respond(c.status, error_body(GetParam(), c.type, "pay up", c.code), {{"x-should-retry", "true"}});
    transport.respond(200, success_body(GetParam()));
    const LlmError error = complete_expecting_error();
    EXPECT_EQ(transport.requests.size(), 1u) << c.type;
    EXPECT_FALSE(error.retryable()) << c.type;
    EXPECT_EQ(error.http_status(), c.status);
  }
  EXPECT_TRUE(sleeper.sleeps.empty());
}

TEST_P(RetryTest, ConnectionErrorsAndTimeoutsAreRetried) {
  transport.fail_transport("Connection refused");
  transport.fail_transport("Operation timed out", /*timed_out=*/true);
  transport.respond(200, success_body(GetParam()));
  const LlmResult result = provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(sleeper.sleeps, (std::vector<long long>{500, 1000}));
}

TEST_P(RetryTest, ExhaustedTimeoutsReportAsRetryableTimeout) {
  execution.max_retries = 1;
  transport.fail_transport("Operation timed out after 120000 ms", true);
  transport.fail_transport("Operation timed out after 120000 ms", true);
  const LlmError error = complete_expecting_error();
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.http_status(), 0);
  EXPECT_EQ(error.error_type(), "timeout");
  EXPECT_NE(std::string(error.what()).find("timed out"), std::string::npos);
}

TEST_P(RetryTest, MalformedSuccessBodyCountsAsAnAttemptAndIsRetried) {
  transport.respond(200, "{\"id\": \"cut");
  transport.respond(200, success_body(GetParam(), "whole"));
  const LlmResult result = provider()->complete({"", "hi"}, cancel);
  EXPECT_EQ(result.text, "whole");
  EXPECT_EQ(result.attempts, 2);
}

TEST_P(RetryTest, MalformedBodiesExhaustingTheBudgetFailRetryable) {
  execution.max_retries = 2;
  for (int i = 0; i < 3; ++i) transport.respond(200, "<html>gateway</html>");
  const LlmError error = complete_expecting_error();
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "malformed_response");
  EXPECT_NE(std::string(error.what()).find("malformed response"), std::string::npos);
}

TEST_P(RetryTest, RefusalIsNotRetried) {
  if (GetParam() == "anthropic") {
    transport.respond(200, success_body("anthropic", "", "refusal"));
  } else {
    transport.respond(
        200,
        json{{"choices",
              json::array(
                  {{{"index", 0},
                    {"message", {{"role", "assistant"}, {"content", nullptr}, {"refusal", "I can't help with that."}}},
                    {"finish_reason", "stop"}}})}}
            .dump());
  }
  transport.respond(200, success_body(GetParam()));
  const LlmError error = complete_expecting_error();
  EXPECT_FALSE(error.retryable());
  EXPECT_EQ(error.error_type(), "refusal");
  EXPECT_EQ(transport.requests.size(), 1u);
}

TEST_P(RetryTest, CancellationDuringBackoffStopsAtOnce) {
  for (int i = 0; i < 4; ++i) transport.respond(500, "");
  sleeper.cancel_during_sleep = &cancel;
  const LlmError error = complete_expecting_error();
  EXPECT_EQ(sleeper.sleeps.size(), 1u);
  EXPECT_EQ(transport.requests.size(), 1u);
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "cancelled");
}

TEST_P(RetryTest, AlreadyCancelledMakesNoCall) {
  cancel.cancel();
  transport.respond(200, success_body(GetParam()));
  const LlmError error = complete_expecting_error();
  EXPECT_TRUE(transport.requests.empty());
  EXPECT_TRUE(error.retryable());
}

TEST_P(RetryTest, TransferCutByCancellationIsRetryableAndNotRetried) {
  transport.fail_transport("Callback aborted", false, /*cancelled=*/true);
  transport.respond(200, success_body(GetParam()));
  const LlmError error = complete_expecting_error();
  EXPECT_EQ(transport.requests.size(), 1u);
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "cancelled");
}

TEST_P(RetryTest, ErrorNamesProviderStatusTypeAndMessageButNeverTheKey) {
  execution.max_retries = 0;
  transport.respond(
      401, error_body(GetParam(), "authentication_error", "Incorrect API key provided: " + kKey + ". Check it."));
  const LlmError error = complete_expecting_error();
  const std::string what = error.what();
  EXPECT_NE(what.find(GetParam()), std::string::npos) << what;
  EXPECT_NE(what.find("401"), std::string::npos) << what;
  EXPECT_NE(what.find("authentication_error"), std::string::npos) << what;
  EXPECT_NE(what.find("Incorrect API key provided"), std::string::npos) << what;
  EXPECT_EQ(what.find(kKey), std::string::npos) << what;
  EXPECT_EQ(what.find("SECRET"), std::string::npos) << what;
  EXPECT_EQ(error.error_type(), "authentication_error");
  EXPECT_FALSE(error.retryable());
}

TEST_P(RetryTest, NonJsonErrorBodyIsQuotedInTheMessage) {
  execution.max_retries = 0;
  transport.respond(502, "<html><body>Bad Gateway</body></html>");
  const LlmError error = complete_expecting_error();
  EXPECT_NE(std::string(error.what()).find("HTTP 502"), std::string::npos) << error.what();
  EXPECT_NE(std::string(error.what()).find("Bad Gateway"), std::string::npos) << error.what();
}

TEST_P(RetryTest, SuccessReportsTextUsageModelAndStop) {
  transport.respond(200, success_body(GetParam(), "the answer"));
  const LlmResult result = provider()->complete({"sys", "question"}, cancel);
  EXPECT_EQ(result.text, "the answer");
  EXPECT_EQ(result.usage.input_tokens, 12);
  EXPECT_EQ(result.usage.output_tokens, 3);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.model, GetParam() == "anthropic" ? "claude-test" : "gpt-test");
}

// ---- what goes on the wire ----------------------------------------------------

TEST(LlmRequestTest, AnthropicSendsKeyVersionAndMessagesBody) {
  config::ExecutionSection execution;
  execution.api_key = kKey;
  execution.model = "claude-x";
  execution.max_tokens = 321;
  execution.temperature = 0.25;
  execution.timeout_seconds = 42;
  execution.connect_timeout_seconds = 7;
  FakeTransport transport;
  FakeClock clock;
  FakeSleeper sleeper(clock);
  transport.respond(200, success_body("anthropic"));
  Cancellation cancel;
  AnthropicProvider(execution, transport, sleeper, clock).complete({"be brief", "hello"}, cancel);
  ASSERT_EQ(transport.requests.size(), 1u);
  const auto& request = transport.requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://api.anthropic.com/v1/messages");
  std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
  EXPECT_EQ(headers["x-api-key"], kKey);
  EXPECT_EQ(headers["anthropic-version"], "2023-06-01");
  EXPECT_EQ(headers["content-type"], "application/json");
  EXPECT_EQ(request.total_timeout, std::chrono::seconds(42));
  EXPECT_EQ(request.connect_timeout, std::chrono::seconds(7));
  const json body = json::parse(request.body);
  EXPECT_EQ(body["model"], "claude-x");
  EXPECT_EQ(body["max_tokens"], 321);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.25);
  EXPECT_EQ(body["system"], "be brief");
  EXPECT_EQ(body["messages"], json::parse(R"([{"role":"user","content":"hello"}])"));
}

TEST(LlmRequestTest, OpenAiSendsBearerAndSystemPlusUserMessages) {
  config::ExecutionSection execution;
  execution.provider = "openai";
  execution.api_key = kKey;
  execution.model = "gpt-x";
  execution.base_url = "http://localhost:8080/v1/";  // /v1 already present: not doubled
  FakeTransport transport;
  FakeClock clock;
  FakeSleeper sleeper(clock);
  transport.respond(200, success_body("openai"));
  Cancellation cancel;
  OpenAiProvider(execution, transport, sleeper, clock).complete({"be brief", "hello"}, cancel);
  const auto& request = transport.requests.at(0);
  EXPECT_EQ(request.url, "http://localhost:8080/v1/chat/completions");
  std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
  EXPECT_EQ(headers["authorization"], "Bearer " + kKey);
  const json body = json::parse(request.body);
  EXPECT_EQ(body["messages"],
            json::parse(R"([{"role":"system","content":"be brief"},{"role":"user","content":"hello"}])"));
  EXPECT_EQ(body["max_tokens"], 4096);
}

TEST(LlmRequestTest, OpenAiWithoutKeySendsNoAuthorizationHeader) {
  config::ExecutionSection execution;
  execution.provider = "openai";
  execution.base_url = "http://127.0.0.1:11434";
  FakeTransport transport;
  FakeClock clock;
  FakeSleeper sleeper(clock);
  transport.respond(200, success_body("openai"));
  Cancellation cancel;
  OpenAiProvider(execution, transport, sleeper, clock).complete({"", "hello"}, cancel);
  const auto& request = transport.requests.at(0);
  EXPECT_EQ(request.url, "http://127.0.0.1:11434/v1/chat/completions");
  for (const auto& [name, value] : request.headers) EXPECT_NE(name, "authorization");
  EXPECT_FALSE(json::parse(request.body).contains("system"));
}

TEST(LlmRequestTest, InvalidUtf8InThePromptIsReplacedNotThrown) {
  config::ExecutionSection execution;
  FakeTransport transport;
  FakeClock clock;
  FakeSleeper sleeper(clock);
  transport.respond(200, success_body("anthropic"));
  Cancellation cancel;
  AnthropicProvider(execution, transport, sleeper, clock).complete({"", "bad \xFF byte"}, cancel);
  const json body = json::parse(transport.requests.at(0).body);
  EXPECT_EQ(body["messages"][0]["content"], "bad \xEF\xBF\xBD byte");
}

// ---- the pure retry rules ---------------------------------------------------------

TEST(RetryRulesTest, BackoffDelay) {
  EXPECT_EQ(backoff_delay(0, 0).count(), 500);
  EXPECT_EQ(backoff_delay(3, 0).count(), 4000);
  EXPECT_EQ(backoff_delay(4, 0).count(), 8000);
  EXPECT_EQ(backoff_delay(40, 0).count(), 8000);
  EXPECT_EQ(backoff_delay(40, 1.0).count(), 6000);
  for (double j : {0.0, 0.1, 0.5, 0.9, 0.999}) {
    const auto d = backoff_delay(1, j).count();
    EXPECT_GE(d, 750);
    EXPECT_LE(d, 1000);
  }
}

TEST(RetryRulesTest, RandomJitterStaysInRange) {
  auto jitter = random_jitter();
  for (int i = 0; i < 1000; ++i) {
    const double j = jitter();
    ASSERT_GE(j, 0.0);
    ASSERT_LT(j, 1.0);
  }
}

TEST(RetryRulesTest, HttpDateParsing) {
  const auto parsed = parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*parsed), 1445412480);
  EXPECT_FALSE(parse_http_date("yesterday"));
  EXPECT_FALSE(parse_http_date(""));
}

// A recipient must accept the two obsolete forms as well (RFC 9110, 5.6.7).
TEST(RetryRulesTest, HttpDateObsoleteFormsAreAccepted) {
  const auto rfc850 = parse_http_date("Wednesday, 21-Oct-15 07:28:00 GMT");
  ASSERT_TRUE(rfc850);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*rfc850), 1445412480);
  const auto asctime = parse_http_date("Wed Oct 21 07:28:00 2015");
  ASSERT_TRUE(asctime);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*asctime), 1445412480);
}

TEST(RetryRulesTest, RetryAfterAsAFutureHttpDateIsHonoured) {
  http::ClientResponse response;
  response.headers["retry-after"] = "Wed, 21 Oct 2015 07:28:30 GMT";
  const auto wait = server_requested_wait(response, std::chrono::system_clock::from_time_t(1445412480));
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 30000);
}

TEST(RetryRulesTest, PastHttpDateMeansUseBackoff) {
  http::ClientResponse response;
  response.headers["retry-after"] = "Wed, 21 Oct 2015 07:28:00 GMT";
  EXPECT_FALSE(server_requested_wait(response, std::chrono::system_clock::from_time_t(1'750'000'000)));
}

}  // namespace
}  // namespace gigent::executor
