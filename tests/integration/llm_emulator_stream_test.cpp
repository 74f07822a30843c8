// Streaming (server-sent events) and fallback with the real providers
// (libcurl, incremental parsing) against a real LlmEmulator on loopback:
// streamed answers equal whole ones, a mid-stream error event and a stalled
// stream are retried, a stream can be cancelled, and a fallback provider
// answers while the primary is overloaded.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "executor/llm_counters.h"
#include "executor/llm_provider.h"
#include "llm_emulator.h"
#include "support/emulated_provider.h"

namespace gigent::executor {
namespace {

using llm_emulator::Action;
using llm_emulator::LlmEmulator;
using nlohmann::json;

const std::string kKey = "sk-emulator-stream-key-0123456789";

class LlmStreamTest : public gigent::testing::EmulatedProviderTest {
 protected:
  LlmStreamTest() : EmulatedProviderTest(kKey) { execution.stream = "true"; }

  LlmResult complete(const std::string& user = "Write a haiku about the sea") {
    return make_provider(execution, &counters)->complete({"You are terse.", user}, cancel);
  }

  json last_request_body() {
    const auto recorded = emulator.recorded_requests();
    return recorded.empty() ? json() : json::parse(recorded.back().body);
  }

  LlmCounters counters;
};

INSTANTIATE_TEST_SUITE_P(BothProviders, LlmStreamTest, ::testing::Values("anthropic", "openai"),
                         [](const auto& info) { return info.param; });

TEST_P(LlmStreamTest, AStreamedAnswerEqualsTheWholeOne) {
  const LlmResult streamed = complete();
  EXPECT_TRUE(streamed.streamed);
  EXPECT_EQ(emulator.streamed(), 1);
  EXPECT_EQ(last_request_body().value("stream", false), true);
  if (GetParam() == "openai") {
    EXPECT_EQ(last_request_body()["stream_options"]["include_usage"], true);
  }

  execution.stream = "false";
  const LlmResult whole = complete();
  EXPECT_FALSE(whole.streamed);
  EXPECT_FALSE(last_request_body().contains("stream"));
  EXPECT_EQ(streamed.text, whole.text);
  EXPECT_EQ(streamed.stop_reason, whole.stop_reason);
  EXPECT_EQ(streamed.model, whole.model);
  EXPECT_EQ(streamed.usage.input_tokens, whole.usage.input_tokens);
  EXPECT_EQ(streamed.usage.output_tokens, whole.usage.output_tokens);
  EXPECT_GT(streamed.usage.output_tokens, 0);
}

TEST_P(LlmStreamTest, AutoStreamsOnlyAboveTheThreshold) {
  execution.stream = "auto";
  execution.max_tokens = 4096;
  EXPECT_FALSE(complete().streamed);
  execution.max_tokens = 32000;
  EXPECT_TRUE(complete().streamed);
  EXPECT_EQ(emulator.streamed(), 1);
}

TEST_P(LlmStreamTest, ATruncatedStreamIsMarkedTruncated) {
  execution.max_tokens = 40;
  const LlmResult result = complete("Go on and on [[emulator:long]]");
  EXPECT_TRUE(result.streamed);
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.usage.output_tokens, 40);
}

TEST_P(LlmStreamTest, AMidStreamErrorEventIsRetried) {
  emulator.push({action("stream_error"), action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(counters.snapshot().retries_by_reason.count("stream_error") +
                counters.snapshot().retries_by_reason.count("overloaded"),
            1u);
}

TEST_P(LlmStreamTest, AStalledStreamIsRetriedAfterTimeoutSeconds) {
  execution.timeout_seconds = 1;
  Action stall = action("stall");
  stall.stall_ms = 30000;
  emulator.push({stall, action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(counters.snapshot().retries_by_reason.at("stall"), 1);
}

TEST_P(LlmStreamTest, AStreamCutOffMidWayIsRetried) {
  emulator.push({action("drop"), action("ok")});
  EXPECT_EQ(complete().attempts, 2);
}

TEST_P(LlmStreamTest, AMalformedEventIsRetried) {
  emulator.push({action("malformed"), action("ok")});
  EXPECT_EQ(complete().attempts, 2);
}

TEST_P(LlmStreamTest, FaultsBeforeTheStreamAreTheUsualErrorsAndRetried) {
  Action overloaded = action("overloaded");
  overloaded.retry_after_ms = "10";
  emulator.push({overloaded, action("ok")});
  const LlmResult result = complete();
  EXPECT_EQ(result.attempts, 2);
  EXPECT_TRUE(result.streamed);
}

TEST_P(LlmStreamTest, CancellationCutsAStalledStream) {
  execution.timeout_seconds = 60;
  Action stall = action("stall");
  stall.stall_ms = 120000;
  emulator.set_default(stall);
  auto provider = make_provider(execution);
  std::thread canceller([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.cancel();
  });
  try {
    provider->complete({"", "hello"}, cancel);
    ADD_FAILURE() << "expected cancellation";
  } catch (const LlmError& error) {
    EXPECT_EQ(error.error_type(), "cancelled");
  }
  canceller.join();
}

TEST_P(LlmStreamTest, AFallbackAnswersWhileThePrimaryIsOverloaded) {
  // The primary is the other provider on an endpoint that is always overloaded.
  LlmEmulator overloaded_primary(options(kKey));
  overloaded_primary.start();
  Action overloaded = action("error");
  overloaded.status = 529;
  overloaded.retry_after_ms = "10";
  overloaded_primary.set_default(overloaded);
  config::FallbackProvider fallback{execution.provider, execution.model, kKey, emulator.url()};
  execution.provider = GetParam() == "anthropic" ? "openai" : "anthropic";
  execution.model = "primary-model";
  execution.base_url = overloaded_primary.url();
  execution.max_retries = 1;
  execution.temperature = 0.5;
  execution.fallback = {fallback};
  const LlmResult result = complete();
  EXPECT_EQ(result.provider, GetParam());
  EXPECT_EQ(result.fallback_index, 1);
  EXPECT_EQ(overloaded_primary.requests(), 2);  // the first attempt and its one retry
  EXPECT_EQ(emulator.successes(), 1);
  const auto snapshot = counters.snapshot();
  EXPECT_EQ(snapshot.answered_by.at(GetParam() + "/" + fallback.model), 1);
  EXPECT_EQ(snapshot.fallbacks.at(execution.provider + "->" + GetParam()), 1);
  EXPECT_EQ(snapshot.retries_by_reason.at("overloaded"), 1);
}

}  // namespace
}  // namespace gigent::executor
