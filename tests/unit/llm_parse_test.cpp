// The pure response parsers of both providers, UTF-8 repair, and the prompt.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "executor/anthropic.h"
#include "executor/openai.h"
#include "executor/prompt.h"

namespace gigent::executor {
namespace {

using nlohmann::json;

const std::string kReplacement = "\xEF\xBF\xBD";

bool is_valid_utf8(const std::string& text) {
  return sanitize_utf8(text) == text;
}

template <typename Fn>
LlmError error_from(Fn&& fn) {
  try {
    fn();
  } catch (const LlmError& error) {
    return error;
  }
  ADD_FAILURE() << "no LlmError thrown";
  return LlmError("", false, 0, "");
}

// ---- Anthropic ------------------------------------------------------------------

TEST(AnthropicParseTest, ReadsTextBlocksStopReasonUsageAndModel) {
  const auto result = parse_anthropic_response(R"({
    "id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",
    "content":[{"type":"text","text":"Hello, "},{"type":"tool_use","id":"t","name":"x","input":{}},
               {"type":"text","text":"world"}],
    "stop_reason":"end_turn","stop_sequence":null,
    "usage":{"input_tokens":25,"output_tokens":7}})");
  EXPECT_EQ(result.text, "Hello, world");
  EXPECT_EQ(result.stop_reason, "end_turn");
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.model, "claude-sonnet-4-5");
  EXPECT_EQ(result.usage.input_tokens, 25);
  EXPECT_EQ(result.usage.output_tokens, 7);
}

TEST(AnthropicParseTest, MaxTokensMeansTruncated) {
  const auto result =
      parse_anthropic_response(R"({"content":[{"type":"text","text":"partial"}],"stop_reason":"max_tokens"})");
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.stop_reason, "max_tokens");
}

TEST(AnthropicParseTest, RefusalAndEmptyAreNotRetryable) {
  const auto refusal = error_from(
      [] { parse_anthropic_response(R"({"content":[{"type":"text","text":"x"}],"stop_reason":"refusal"})"); });
  EXPECT_EQ(refusal.error_type(), "refusal");
  EXPECT_FALSE(refusal.retryable());
  const auto empty = error_from([] { parse_anthropic_response(R"({"content":[],"stop_reason":"end_turn"})"); });
  EXPECT_EQ(empty.error_type(), "empty_response");
  EXPECT_FALSE(empty.retryable());
  EXPECT_NE(std::string(empty.what()).find("no text"), std::string::npos);
}

TEST(AnthropicParseTest, MalformedBodiesAreRetryable) {
  for (const std::string body : {"", "not json", "{\"content\":[{\"type\":\"text\"", "[]", "42",
                                 "{\"content\":\"text instead of blocks\"}", "{}"}) {
    const auto error = error_from([&] { parse_anthropic_response(body); });
    EXPECT_EQ(error.error_type(), "malformed_response") << body;
    EXPECT_TRUE(error.retryable()) << body;
  }
}

TEST(AnthropicParseTest, ErrorInsideA200IsRetryable) {
  const auto error = error_from([] {
    parse_anthropic_response(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  });
  EXPECT_EQ(error.error_type(), "overloaded_error");
  EXPECT_TRUE(error.retryable());
}

TEST(AnthropicParseTest, MistypedFieldsDoNotThrowAnythingElse) {
  const auto result = parse_anthropic_response(
      R"({"content":[{"type":"text","text":"ok"},{"type":"text","text":5},"junk"],"stop_reason":7,
          "usage":{"input_tokens":"many","output_tokens":-3},"model":null})");
  EXPECT_EQ(result.text, "ok");
  EXPECT_EQ(result.stop_reason, "");
  EXPECT_EQ(result.usage.input_tokens, 0);
  EXPECT_EQ(result.model, "");
}

TEST(AnthropicParseTest, ErrorBody) {
  const auto error = parse_anthropic_error(
      R"({"type":"error","error":{"type":"rate_limit_error","message":"Too many"},"request_id":"req_1"})");
  EXPECT_EQ(error.type, "rate_limit_error");
  EXPECT_EQ(error.message, "Too many");
  const auto html = parse_anthropic_error("<html>\n<h1>502 Bad Gateway</h1>\n</html>");
  EXPECT_EQ(html.type, "");
  EXPECT_EQ(html.message, "<html> <h1>502 Bad Gateway</h1> </html>");
  EXPECT_EQ(parse_anthropic_error("").message, "(empty body)");
  EXPECT_EQ(parse_anthropic_error(R"({"error":"flat"})").message, R"({"error":"flat"})");
}

// ---- OpenAI -----------------------------------------------------------------------

TEST(OpenAiParseTest, ReadsContentFinishReasonUsageAndModel) {
  const auto result = parse_openai_response(R"({
    "id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06",
    "choices":[{"index":0,"message":{"role":"assistant","content":"Hi!","refusal":null},
                "logprobs":null,"finish_reason":"stop"}],
    "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})");
  EXPECT_EQ(result.text, "Hi!");
  EXPECT_EQ(result.stop_reason, "stop");
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(result.usage.input_tokens, 9);
  EXPECT_EQ(result.usage.output_tokens, 2);
}

TEST(OpenAiParseTest, LengthMeansTruncated) {
  const auto result =
      parse_openai_response(R"({"choices":[{"message":{"content":"partial"},"finish_reason":"length"}]})");
  EXPECT_TRUE(result.truncated);
}

TEST(OpenAiParseTest, ContentAsListOfParts) {
  const auto result = parse_openai_response(
      R"({"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"stop"}]})");
  EXPECT_EQ(result.text, "ab");
}

TEST(OpenAiParseTest, RefusalNullContentAndContentFilter) {
  const auto refusal = error_from([] {
    parse_openai_response(
        R"({"choices":[{"message":{"content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]})");
  });
  EXPECT_EQ(refusal.error_type(), "refusal");
  EXPECT_FALSE(refusal.retryable());
  EXPECT_NE(std::string(refusal.what()).find("I can't help with that."), std::string::npos);

  const auto empty =
      error_from([] { parse_openai_response(R"({"choices":[{"message":{"content":null},"finish_reason":"stop"}]})"); });
  EXPECT_EQ(empty.error_type(), "empty_response");
  EXPECT_FALSE(empty.retryable());

  const auto filtered = error_from(
      [] { parse_openai_response(R"({"choices":[{"message":{"content":""},"finish_reason":"content_filter"}]})"); });
  EXPECT_EQ(filtered.error_type(), "refusal");
}

TEST(OpenAiParseTest, MalformedBodiesAreRetryable) {
  for (const std::string body :
       {"", "null", "{\"choices\":[]}", "{\"choices\":[{}]}", "{\"choices\":[{\"message\":\"x\"}]}", "{\"choices\":{}}",
        "{\"choices\":[{\"message\":{\"content\":\"cut"}) {
    const auto error = error_from([&] { parse_openai_response(body); });
    EXPECT_EQ(error.error_type(), "malformed_response") << body;
    EXPECT_TRUE(error.retryable()) << body;
  }
}

TEST(OpenAiParseTest, ErrorBody) {
  const auto quota = parse_openai_error(
      R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
  EXPECT_EQ(quota.type, "insufficient_quota");
  EXPECT_EQ(quota.code, "insufficient_quota");
  EXPECT_EQ(quota.message, "You exceeded your current quota");
  const auto no_type = parse_openai_error(R"({"error":{"message":"m","type":null,"code":"rate_limit_exceeded"}})");
  EXPECT_EQ(no_type.type, "rate_limit_exceeded");
  EXPECT_EQ(parse_openai_error(R"({"error":"plain words"})").message, "plain words");
  EXPECT_EQ(parse_openai_error("Service Unavailable").message, "Service Unavailable");
}

TEST(QuotaRuleTest, RecognisesBillingAndQuota) {
  EXPECT_TRUE(is_quota_or_billing_error(402, {}));
  EXPECT_TRUE(is_quota_or_billing_error(429, {"insufficient_quota", "", ""}));
  EXPECT_TRUE(is_quota_or_billing_error(429, {"requests", "", "insufficient_quota"}));
  EXPECT_TRUE(is_quota_or_billing_error(400, {"billing_error", "", ""}));
  EXPECT_FALSE(is_quota_or_billing_error(429, {"rate_limit_error", "", ""}));
}

// ---- UTF-8 ---------------------------------------------------------------------------

TEST(Utf8Test, InvalidBytesInTheResponseTextBecomeReplacementCharacters) {
  const std::string body = std::string(R"({"content":[{"type":"text","text":"a)") + "\xFF" + "b" + "\xC0\xAF" + "c" +
                           "\xE2\x82" + R"("}],"stop_reason":"end_turn"})";
  const auto result = parse_anthropic_response(body);
  EXPECT_TRUE(is_valid_utf8(result.text));
  EXPECT_EQ(result.text, "a" + kReplacement + "b" + kReplacement + kReplacement + "c" + kReplacement);

  const std::string openai_body =
      std::string(R"({"choices":[{"message":{"content":"x)") + "\x80" + R"("},"finish_reason":"stop"}]})";
  EXPECT_EQ(parse_openai_response(openai_body).text, "x" + kReplacement);
}

TEST(Utf8Test, LoneSurrogateEscapesBecomeReplacementCharacters) {
  const auto result = parse_anthropic_response(
      R"({"content":[{"type":"text","text":"a\ud800b\udc00c\ud83d\ude00 \\ud800"}],"stop_reason":"end_turn"})");
  EXPECT_EQ(result.text, "a" + kReplacement + "b" + kReplacement + "c\xF0\x9F\x98\x80 \\ud800");
}

TEST(Utf8Test, SanitizeKeepsValidTextAndFollowsMaximalSubparts) {
  const std::string valid = "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80";
  EXPECT_EQ(sanitize_utf8(valid), valid);
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // encoded surrogate
  EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), kReplacement + kReplacement + kReplacement + kReplacement);
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98"), kReplacement);  // truncated at the end
  EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Utf8Test, PrefixCutsOnABoundary) {
  EXPECT_EQ(utf8_prefix("caf\xC3\xA9", 4), "caf\xE2\x80\xA6");
  EXPECT_EQ(utf8_prefix("short", 10), "short");
}

// ---- prompt -----------------------------------------------------------------------------

TEST(PromptTest, BriefThenObjectInputPrettyPrinted) {
  const std::string message = build_user_message("Summarise this.", json{{"url", "https://x"}, {"n", 2}});
  EXPECT_EQ(message,
            "## Brief\nSummarise this.\n\n## Input data\n```json\n{\n  \"n\": 2,\n  \"url\": \"https://x\"\n}\n```");
}

TEST(PromptTest, JsonStringInputIsDecoded) {
  const std::string message = build_user_message("Do it", json("{\"a\":[1,2]}"));
  EXPECT_EQ(message, "## Brief\nDo it\n\n## Input data\n```json\n{\n  \"a\": [\n    1,\n    2\n  ]\n}\n```");
}

TEST(PromptTest, NullOrEmptyInputLeavesTheSectionOut) {
  for (const json& empty : {json(nullptr), json(""), json("   "), json::object(), json::array(), json("{}")}) {
    EXPECT_EQ(build_user_message("Just the brief", empty), "## Brief\nJust the brief") << empty.dump();
  }
}

TEST(PromptTest, PlainTextInputIsShownAsText) {
  EXPECT_EQ(build_user_message("Translate", json("Bonjour le monde")),
            "## Brief\nTranslate\n\n## Input data\n```\nBonjour le monde\n```");
}

TEST(PromptTest, BackticksInTheInputCannotCloseTheFence) {
  const std::string message = build_user_message("Review", json("some ```code``` here"));
  EXPECT_NE(message.find("````\nsome ```code``` here\n````"), std::string::npos) << message;
}

TEST(PromptTest, InvalidUtf8IsReplacedNotThrown) {
  const std::string message = build_user_message("bad \xFF brief", json{{"k", "v\xFE"}});
  EXPECT_TRUE(is_valid_utf8(message));
  EXPECT_NE(message.find("bad " + kReplacement + " brief"), std::string::npos);
}

TEST(PromptTest, EmptyBriefIsSaidSo) {
  EXPECT_EQ(build_user_message("", json(nullptr)), "## Brief\n(no brief given)");
}

}  // namespace
}  // namespace gigent::executor
