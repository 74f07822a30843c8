// Server-sent events: the incremental parser (split anywhere, CR/LF/CRLF,
// comments, multi-line data), each API's stream turned into a result, and
// the fallback chain's rule for moving on to the next provider.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "executor/anthropic.h"
#include "executor/fallback.h"
#include "executor/llm_counters.h"
#include "executor/openai.h"
#include "executor/sse.h"
#include "executor/stream.h"

namespace gigent::executor {
namespace {

std::vector<SseEvent> parse_in_pieces(const std::string& stream, std::size_t piece) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& event) {
    events.push_back(event);
    return true;
  });
  for (std::size_t at = 0; at < stream.size(); at += piece) parser.feed(std::string_view(stream).substr(at, piece));
  return events;
}

const std::string kTwoEvents =
    ": a comment first\r\n"
    "event: message_start\r\n"
    "data: {\"a\":1}\r\n"
    "\r\n"
    "event: content_block_delta\n"
    "data: line one\n"
    "data:line two\n"
    "id: 7\n"
    "retry: 100\n"
    "\n";

TEST(SseParserTest, ParsesEventsSplitAtEveryPossibleByte) {
  for (std::size_t piece = 1; piece <= kTwoEvents.size(); ++piece) {
    const auto events = parse_in_pieces(kTwoEvents, piece);
    ASSERT_EQ(events.size(), 2u) << "pieces of " << piece;
    EXPECT_EQ(events[0].event, "message_start");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].event, "content_block_delta");
    EXPECT_EQ(events[1].data, "line one\nline two") << "pieces of " << piece;
    EXPECT_EQ(events[1].id, "7");
  }
}

TEST(SseParserTest, BareCarriageReturnsEndLinesAndACrLfSplitOverTwoFeedsIsOneLineEnd) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& event) {
    events.push_back(event);
    return true;
  });
  parser.feed("data: a\r");
  parser.feed("\ndata: b\r\r");  // the LF completes the CRLF; CR CR: end of line, then the blank line
  parser.feed("data: c\r");
  parser.feed("\r\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "a\nb");
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[1].data, "c");
}

TEST(SseParserTest, CommentsAndEventsWithoutDataDispatchNothingAndTheTypeIsForgotten) {
  const auto events = parse_in_pieces(":keep-alive\n\nevent: ping\n\ndata: x\n\n", 3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");  // "ping" had no data: dropped with its type
  EXPECT_EQ(events[0].data, "x");
}

TEST(SseParserTest, AByteOrderMarkAndAFieldWithoutColonAreHandledAsTheStandardSays) {
  const auto events = parse_in_pieces(
      "\xEF\xBB\xBF"
      "data\ndata:  two spaces\n\n",
      1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "\n two spaces");  // an empty data line, then one leading space removed
}

TEST(SseParserTest, AnEventCutOffBeforeItsBlankLineIsNotDispatched) {
  EXPECT_EQ(parse_in_pieces("data: whole\n\ndata: cut", 4).size(), 1u);
}

TEST(SseParserTest, ALineLongerThanTheCapStopsTheStream) {
  SseParser parser([](const SseEvent&) { return true; }, 64);
  EXPECT_TRUE(parser.feed("data: short\n\n"));
  EXPECT_FALSE(parser.feed(std::string(100, 'x')));
  EXPECT_TRUE(parser.overflowed());
}

TEST(SseParserTest, TheCallbackStopsTheStream) {
  int seen = 0;
  SseParser parser([&](const SseEvent&) { return ++seen < 1; });
  EXPECT_FALSE(parser.feed("data: 1\n\ndata: 2\n\n"));
  EXPECT_EQ(seen, 1);
}

// ---- Anthropic's stream ----------------------------------------------------------

std::string anthropic_stream(const std::string& stop_reason = "end_turn", const std::string& tail = "") {
  return "event: message_start\n"
         "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
         "\"content\":[],\"model\":\"claude-test\",\"stop_reason\":null,\"stop_sequence\":null,"
         "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
         "event: content_block_start\n"
         "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
         "event: ping\ndata: {\"type\": \"ping\"}\n\n"
         "event: content_block_delta\n"
         "data: "
         "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
         "event: content_block_delta\n"
         "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\", "
         "world\"}}\n\n" +
         tail +
         "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
         "event: message_delta\n"
         "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" +
         stop_reason +
         "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n"
         "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
}

TEST(AnthropicStreamTest, AssemblesTextStopReasonUsageAndModel) {
  const LlmResult result = parse_stream_body(make_anthropic_stream(), anthropic_stream());
  EXPECT_EQ(result.text, "Hello, world");
  EXPECT_EQ(result.stop_reason, "end_turn");
  EXPECT_EQ(result.model, "claude-test");
  EXPECT_EQ(result.usage.input_tokens, 25);
  EXPECT_EQ(result.usage.output_tokens, 15);
  EXPECT_FALSE(result.truncated);
  EXPECT_TRUE(parse_stream_body(make_anthropic_stream(), anthropic_stream("max_tokens")).truncated);
}

LlmError stream_error(std::unique_ptr<StreamAccumulator> accumulator, const std::string& body) {
  try {
    parse_stream_body(std::move(accumulator), body);
  } catch (const LlmError& error) {
    return error;
  }
  ADD_FAILURE() << "no LlmError thrown";
  return LlmError("", false, 0, "");
}

TEST(AnthropicStreamTest, AnOverloadedErrorEventMidStreamIsRetryable) {
  std::string body = anthropic_stream();
  body = body.substr(0, body.find("event: content_block_stop")) +
         "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"
         "\n\n";
  const LlmError error = stream_error(make_anthropic_stream(), body);
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "overloaded_error");
  EXPECT_NE(std::string(error.what()).find("Overloaded"), std::string::npos);
}

TEST(AnthropicStreamTest, AnInvalidRequestErrorEventIsNotRetryable) {
  const LlmError error = stream_error(
      make_anthropic_stream(),
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"no\"}}\n\n");
  EXPECT_FALSE(error.retryable());
}

TEST(AnthropicStreamTest, AStreamEndingBeforeMessageStopIsMalformedAndRetryable) {
  std::string body = anthropic_stream();
  body = body.substr(0, body.find("event: message_stop"));
  const LlmError error = stream_error(make_anthropic_stream(), body);
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "malformed_response");
}

TEST(AnthropicStreamTest, AnEventThatIsNotJsonIsMalformed) {
  const LlmError error = stream_error(make_anthropic_stream(), "event: content_block_delta\ndata: {\"te\n\n");
  EXPECT_EQ(error.error_type(), "malformed_response");
}

TEST(AnthropicStreamTest, ARefusalIsJudgedAsInAWholeAnswer) {
  const LlmError error = stream_error(make_anthropic_stream(), anthropic_stream("refusal"));
  EXPECT_FALSE(error.retryable());
  EXPECT_EQ(error.error_type(), "refusal");
}

// ---- OpenAI's stream ---------------------------------------------------------------

std::string openai_chunk(const std::string& choices, const std::string& usage = "null") {
  return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\","
         "\"choices\":" +
         choices + ",\"usage\":" + usage + "}\n\n";
}

std::string openai_stream(const std::string& finish = "stop") {
  return openai_chunk(
             R"([{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}])") +
         openai_chunk(R"([{"index":0,"delta":{"content":"Hello"},"finish_reason":null}])") +
         openai_chunk(R"([{"index":0,"delta":{"content":", world"},"finish_reason":null}])") +
         openai_chunk(R"([{"index":0,"delta":{},"finish_reason":")" + finish + R"("}])") +
         openai_chunk("[]", R"({"prompt_tokens":12,"completion_tokens":3,"total_tokens":15})") + "data: [DONE]\n\n";
}

TEST(OpenAiStreamTest, AssemblesTextFinishReasonUsageAndModel) {
  const LlmResult result = parse_stream_body(make_openai_stream(), openai_stream());
  EXPECT_EQ(result.text, "Hello, world");
  EXPECT_EQ(result.stop_reason, "stop");
  EXPECT_EQ(result.model, "gpt-test");
  EXPECT_EQ(result.usage.input_tokens, 12);
  EXPECT_EQ(result.usage.output_tokens, 3);
  EXPECT_TRUE(parse_stream_body(make_openai_stream(), openai_stream("length")).truncated);
}

TEST(OpenAiStreamTest, AStreamWithoutDoneIsMalformedAndRetryable) {
  std::string body = openai_stream();
  body = body.substr(0, body.find("data: [DONE]"));
  const LlmError error = stream_error(make_openai_stream(), body);
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "malformed_response");
}

TEST(OpenAiStreamTest, AServerErrorChunkIsRetryable) {
  const LlmError error = stream_error(
      make_openai_stream(), openai_chunk(R"([{"index":0,"delta":{"content":"Hel"},"finish_reason":null}])") +
                                "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,"
                                "\"code\":null}}\n\n");
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.error_type(), "server_error");
}

TEST(OpenAiStreamTest, ARefusalDeltaIsARefusal) {
  const LlmError error =
      stream_error(make_openai_stream(),
                   openai_chunk(R"([{"index":0,"delta":{"refusal":"I can't"},"finish_reason":null}])") +
                       openai_chunk(R"([{"index":0,"delta":{},"finish_reason":"stop"}])") + "data: [DONE]\n\n");
  EXPECT_EQ(error.error_type(), "refusal");
}

TEST(StreamChoiceTest, AutoStreamsAboveTheAnthropicSdkThreshold) {
  EXPECT_FALSE(should_stream("auto", 4096));
  EXPECT_FALSE(should_stream("auto", kAutoStreamMaxTokens));
  EXPECT_TRUE(should_stream("auto", kAutoStreamMaxTokens + 1));
  EXPECT_TRUE(should_stream("true", 1));
  EXPECT_FALSE(should_stream("false", 200000));
}

// ---- fallback --------------------------------------------------------------------

class ScriptedProvider final : public LlmProvider {
 public:
  ScriptedProvider(std::string name, std::vector<LlmError> failures) : name_(std::move(name)), failures_(failures) {}
  LlmResult complete(const LlmRequest&, const Cancellation&) override {
    ++calls;
    if (!failures_.empty()) {
      LlmError error = failures_.front();
      failures_.erase(failures_.begin());
      throw error;
    }
    LlmResult result;
    result.text = "answer from " + name_;
    result.provider = name_;
    return result;
  }
  std::string name() const override { return name_; }
  int calls = 0;

 private:
  std::string name_;
  std::vector<LlmError> failures_;
};

struct Chain {
  ScriptedProvider* primary;
  ScriptedProvider* fallback;
  LlmCounters counters;
  std::unique_ptr<FallbackChain> chain;
};

std::unique_ptr<Chain> chain_of(std::vector<LlmError> primary_failures, std::vector<LlmError> fallback_failures = {}) {
  auto out = std::make_unique<Chain>();
  auto primary = std::make_unique<ScriptedProvider>("anthropic", std::move(primary_failures));
  auto fallback = std::make_unique<ScriptedProvider>("openai", std::move(fallback_failures));
  out->primary = primary.get();
  out->fallback = fallback.get();
  std::vector<FallbackChain::Link> links;
  links.push_back({std::move(primary), "claude-test"});
  links.push_back({std::move(fallback), "gpt-test"});
  out->chain = std::make_unique<FallbackChain>(std::move(links), &out->counters);
  return out;
}

TEST(FallbackTest, AnOverloadedPrimaryHandsTheCallToTheFallback) {
  auto c = chain_of({LlmError("anthropic: HTTP 529 overloaded_error", true, 529, "overloaded_error")});
  Cancellation cancel;
  const LlmResult result = c->chain->complete({"", "hi"}, cancel);
  EXPECT_EQ(result.text, "answer from openai");
  EXPECT_EQ(result.fallback_index, 1);
  EXPECT_EQ(c->counters.snapshot().fallbacks.at("anthropic->openai"), 1);
}

TEST(FallbackTest, AnAnsweringPrimaryNeverCallsTheFallback) {
  auto c = chain_of({});
  Cancellation cancel;
  EXPECT_EQ(c->chain->complete({"", "hi"}, cancel).fallback_index, 0);
  EXPECT_EQ(c->fallback->calls, 0);
}

TEST(FallbackTest, TheOrdersOwnFaultsAndRefusalsDoNotFallBack) {
  for (const LlmError& error :
       {LlmError("HTTP 400", false, 400, "invalid_request_error"), LlmError("refused", false, 200, "refusal"),
        LlmError("empty", false, 200, "empty_response")}) {
    auto c = chain_of({error});
    Cancellation cancel;
    EXPECT_THROW(c->chain->complete({"", "hi"}, cancel), LlmError) << error.what();
    EXPECT_EQ(c->fallback->calls, 0) << error.what();
  }
}

TEST(FallbackTest, ARefusedKeyQuotaOrUnknownModelFallsBack) {
  for (const LlmError& error :
       {LlmError("HTTP 401", false, 401, "authentication_error"), LlmError("HTTP 402", false, 402, "billing_error"),
        LlmError("HTTP 429 quota", false, 429, "insufficient_quota"), LlmError("HTTP 404", false, 404, "not_found")}) {
    EXPECT_TRUE(should_fall_back(error)) << error.what();
  }
  EXPECT_FALSE(should_fall_back(LlmError("cancelled", true, 0, "cancelled")));
}

TEST(FallbackTest, WhenEveryProviderFailsTheErrorNamesEachAndIsRetryableIfAnyWas) {
  auto c = chain_of({LlmError("anthropic: HTTP 529", true, 529, "overloaded_error")},
                    {LlmError("openai: HTTP 401 bad key", false, 401, "invalid_request_error")});
  Cancellation cancel;
  try {
    c->chain->complete({"", "hi"}, cancel);
    FAIL() << "no error";
  } catch (const LlmError& error) {
    EXPECT_TRUE(error.retryable());
    EXPECT_NE(std::string(error.what()).find("anthropic: HTTP 529"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("then openai: HTTP 401"), std::string::npos) << error.what();
  }
}

TEST(FallbackTest, ACancelledCallTriesNoFallback) {
  auto c = chain_of({LlmError("cancelled during the call", true, 0, "cancelled")});
  Cancellation cancel;
  cancel.cancel();
  EXPECT_THROW(c->chain->complete({"", "hi"}, cancel), LlmError);
  EXPECT_EQ(c->fallback->calls, 0);
}

}  // namespace
}  // namespace gigent::executor
