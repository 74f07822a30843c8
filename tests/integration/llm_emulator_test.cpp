// The real providers (libcurl transport, real sleeper) against a real
// LlmEmulator on loopback: every scripted fault ends as success-after-retries
// or a clear error, and the emulator's counters prove how many calls were made.
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "config/config.h"
#include "executor/llm_provider.h"
#include "http/client.h"
#include "llm_emulator.h"
#include "support/emulated_provider.h"

namespace gigent::executor {
namespace {

using llm_emulator::Action;
using llm_emulator::LlmEmulator;
using nlohmann::json;

const std::string kKey = "sk-emulator-test-key-0123456789";

Action fast_retry(const std::string& kind) {
  Action a = gigent::testing::EmulatedProviderTest::action(kind);
  a.retry_after_ms = "10";  // keeps the test quick; the schedule itself is unit-tested
  return a;
}

class LlmEmulatorTest : public gigent::testing::EmulatedProviderTest {
 protected:
  LlmEmulatorTest() : EmulatedProviderTest(kKey) {}

  LlmResult complete(const std::string& user = "Write a haiku about the sea") {
    return make_provider(execution)->complete({"You are terse.", user}, cancel);
  }

  LlmError complete_expecting_error(const std::string& user = "hello") {
    try {
      complete(user);
    } catch (const LlmError& error) {
      return error;
    }
    ADD_FAILURE() << "expected an LlmError";
    return LlmError("", false, 0, "");
  }
};

INSTANTIATE_TEST_SUITE_P(BothProviders, LlmEmulatorTest, ::testing::Values("anthropic", "openai"),
                         [](const auto& info) { return info.param; });

TEST_P(LlmEmulatorTest, PlainSuccess) {
  const LlmResult result = complete("Write a haiku about the sea");
  EXPECT_EQ(result.text.rfind("Emulated reply to: Write a haiku about the sea", 0), 0u) << result.text;
  EXPECT_EQ(result.model, execution.model);
  EXPECT_GT(result.usage.input_tokens, 0);
  EXPECT_GT(result.usage.output_tokens, 0);
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(emulator.successes(), 1);
  const auto recorded = emulator.recorded_requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].api, GetParam());
}

TEST_P(LlmEmulatorTest, FailTwiceThenSucceedIsExactlyOneSuccessfulCall) {
  emulator.push({fast_retry("rate_limit"), fast_retry("overloaded"), action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(emulator.requests(), 3);
  EXPECT_EQ(emulator.successes(), 1);
  const json stats = emulator.stats();
  EXPECT_EQ(stats["by_outcome"]["rate_limit"], 1);
  EXPECT_EQ(stats["by_outcome"]["overloaded"], 1);
  EXPECT_EQ(stats["by_outcome"]["ok"], 1);
}

TEST_P(LlmEmulatorTest, ServerErrorsWithDefaultBackoffThenSuccess) {
  emulator.push({action("server_error"), action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(emulator.successes(), 1);
}

TEST_P(LlmEmulatorTest, PersistentRateLimitExhaustsRetries) {
  execution.max_retries = 2;
  emulator.set_default(fast_retry("rate_limit"));
  const LlmError error = complete_expecting_error();
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.http_status(), 429);
  EXPECT_EQ(emulator.requests(), 3);
  EXPECT_EQ(emulator.successes(), 0);
  EXPECT_NE(std::string(error.what()).find(GetParam()), std::string::npos);
}

TEST_P(LlmEmulatorTest, BillingFailsAtOnceWithoutRetry) {
  emulator.set_default(action("billing"));
  const LlmError error = complete_expecting_error();
  EXPECT_FALSE(error.retryable());
  EXPECT_EQ(error.http_status(), GetParam() == "anthropic" ? 402 : 429);
  EXPECT_EQ(error.error_type(), GetParam() == "anthropic" ? "billing_error" : "insufficient_quota");
  EXPECT_EQ(emulator.requests(), 1);
}

TEST_P(LlmEmulatorTest, WrongKeyIsA401WithoutTheKeyInTheMessage) {
  const std::string wrong = "sk-wrong-key-abcdefghijklmnop";
  execution.api_key = wrong;
  const LlmError error = complete_expecting_error();
  EXPECT_FALSE(error.retryable());
  EXPECT_EQ(error.http_status(), 401);
  EXPECT_EQ(std::string(error.what()).find(wrong), std::string::npos) << error.what();
  EXPECT_EQ(emulator.requests(), 1);
}

TEST_P(LlmEmulatorTest, MalformedBodyIsRetried) {
  emulator.push({action("malformed"), action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(emulator.successes(), 1);
}

TEST_P(LlmEmulatorTest, DroppedConnectionIsRetried) {
  emulator.push({action("drop"), action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(emulator.requests(), 2);
  EXPECT_EQ(emulator.successes(), 1);
}

TEST_P(LlmEmulatorTest, HangIsCutByTheTotalTimeout) {
  execution.timeout_seconds = 1;
  execution.max_retries = 0;
  emulator.set_default(action("hang"));
  const auto started = std::chrono::steady_clock::now();
  const LlmError error = complete_expecting_error();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "timeout");
  EXPECT_EQ(emulator.requests(), 1);
}

TEST_P(LlmEmulatorTest, HangThenSuccessOnRetry) {
  execution.timeout_seconds = 1;
  emulator.push({action("hang"), action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(emulator.successes(), 1);
}

TEST_P(LlmEmulatorTest, CancellationCutsAHangingTransfer) {
  execution.timeout_seconds = 60;
  emulator.set_default(action("hang"));
  auto provider = make_provider(execution);
  std::thread canceller([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  try {
    provider->complete({"", "hello"}, cancel);
    ADD_FAILURE() << "expected cancellation";
  } catch (const LlmError& error) {
    EXPECT_TRUE(error.retryable());
    EXPECT_EQ(error.error_type(), "cancelled");
  }
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_P(LlmEmulatorTest, CancellationCutsTheBackoffSleep) {
  emulator.set_default(action("server_error"));
  execution.max_retries = 10;
  auto provider = make_provider(execution);
  std::thread canceller([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel.cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(provider->complete({"", "hello"}, cancel), LlmError);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_LE(emulator.requests(), 2);
}

TEST_P(LlmEmulatorTest, InvalidUtf8IsRepaired) {
  emulator.push(action("invalid_utf8"));
  const LlmResult result = complete();
  EXPECT_EQ(sanitize_utf8(result.text), result.text);
  EXPECT_NE(result.text.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST_P(LlmEmulatorTest, JsonMarkerAnswersWithJson) {
  const LlmResult result = complete("Give me data [[emulator:json]]");
  const json doc = json::parse(result.text);
  EXPECT_EQ(doc["emulated"], true);
  EXPECT_EQ(doc["model"], execution.model);
}

TEST_P(LlmEmulatorTest, LongMarkerIsTruncatedAtMaxTokens) {
  execution.max_tokens = 50;
  const LlmResult result = complete("Go on and on [[emulator:long]]");
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.stop_reason, GetParam() == "anthropic" ? "max_tokens" : "length");
  EXPECT_EQ(result.usage.output_tokens, 50);
}

TEST_P(LlmEmulatorTest, ConcurrentCallsFromSeveralThreads) {
  auto provider = make_provider(execution);
  constexpr int kThreads = 4, kCallsEach = 5;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        const auto result = provider->complete({"", "thread " + std::to_string(t)}, cancel);
        if (result.text.find("thread " + std::to_string(t)) != std::string::npos) ok++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kCallsEach);
  EXPECT_EQ(emulator.successes(), kThreads * kCallsEach);
}

TEST_P(LlmEmulatorTest, DelayedAnswerWithinTheTimeoutSucceeds) {
  Action slow = action("ok");
  slow.delay_ms = 300;
  emulator.push(slow);
  EXPECT_EQ(complete().attempts, 1);
}

}  // namespace
}  // namespace gigent::executor
