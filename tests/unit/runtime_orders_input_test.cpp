// What a buyer puts in an order is bounded before the runtime decodes or
// renders it: hostile nesting is refused without being parsed, allowed input
// renders in size linear in the input, order ids are checked, and the prompt
// cap has a default sized to the provider's context.
#include <gtest/gtest.h>

#include "common/json_depth.h"
#include "config/config.h"
#include "engine/order_processor.h"
#include "executor/prompt.h"

using namespace gigent;

namespace {

std::string nested(std::size_t depth, const std::string& inside = "") {
  return std::string(depth, '[') + inside + std::string(depth, ']');
}

TEST(OrderInput, AMillionNestedArraysAreRefusedNotParsedOrRendered) {
  const std::string hostile = nested(1'000'000);
  EXPECT_EQ(json_nesting_depth(hostile), 1'000'000u);
  try {
    executor::build_user_message("brief", hostile);
    FAIL() << "a million nested arrays were accepted";
  } catch (const executor::InputRejected& e) {
    EXPECT_NE(std::string(e.what()).find("nested more than 64 levels"), std::string::npos) << e.what();
  }
}

TEST(OrderInput, DeepInputGivenAsJsonRatherThanTextIsRefusedToo) {
  nlohmann::json value = nlohmann::json::array();
  for (int i = 0; i < 100; ++i) value = nlohmann::json::array({value});
  EXPECT_THROW(executor::build_user_message("brief", value), executor::InputRejected);
}

TEST(OrderInput, InputAtTheDepthLimitRendersWithoutPerLevelIndentationBlowUp) {
  // 64 levels around 20,000 numbers: indented, every number would carry 128
  // spaces (about 2.7 MB from 100 KB of input).
  std::string inner;
  for (int i = 0; i < 20000; ++i) inner += (i ? ",1234" : "1234");
  const std::string input = nested(executor::kMaxInputDepth - 1, "[" + inner + "]");
  const std::string message = executor::build_user_message("brief", input);
  EXPECT_NE(message.find("1234,1234"), std::string::npos);
  EXPECT_LT(message.size(), input.size() + 200) << "the rendering grew with the nesting depth";
}

TEST(OrderInput, SmallShallowInputIsStillIndentedForReadability) {
  const std::string message = executor::build_user_message("brief", R"({"topic":"tea","words":[1,2]})");
  EXPECT_NE(message.find("```json\n{\n  \"topic\": \"tea\""), std::string::npos) << message;
}

TEST(OrderInput, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string text = R"({"a":"[[[[[[[[[[{{{{{{{\"[[[["})";
  EXPECT_EQ(json_nesting_depth(text), 1u);
  const std::string deep_text = "{\"a\":\"" + std::string(500, '[') + "\"}";
  EXPECT_NO_THROW(executor::build_user_message("brief", deep_text));
}

TEST(OrderInput, PlainTextWithBracketsIsShownAsText) {
  const std::string message = executor::build_user_message("brief", "see [1] and [2]");
  EXPECT_NE(message.find("see [1] and [2]"), std::string::npos) << message;
}

TEST(OrderInput, OrderIdsAreUuidsOrBoundedTokens) {
  EXPECT_TRUE(engine::valid_order_id("6f1c2e3a-0b4d-4c5e-9f60-7a8b9c0d1e2f"));
  EXPECT_TRUE(engine::valid_order_id("order_42"));
  EXPECT_TRUE(engine::valid_order_id(std::string(64, 'a')));
  EXPECT_FALSE(engine::valid_order_id(""));
  EXPECT_FALSE(engine::valid_order_id(std::string(65, 'a')));
  EXPECT_FALSE(engine::valid_order_id(std::string(100000, 'a')));
  EXPECT_FALSE(engine::valid_order_id("a\nb"));
  EXPECT_FALSE(engine::valid_order_id("\x1b[2J"));
  EXPECT_FALSE(engine::valid_order_id("../x"));
  EXPECT_FALSE(engine::valid_order_id("a b"));
}

TEST(OrderInput, TheInputTokenCapDefaultsToTheProvidersContextLessTheAnswer) {
  config::ExecutionSection e;
  e.provider = "anthropic";
  e.max_tokens = 4096;
  EXPECT_EQ(engine::max_input_tokens(e), 200000 - 4096);
  e.provider = "openai";
  EXPECT_EQ(engine::max_input_tokens(e), 128000 - 4096);
  e.max_input_tokens = 5000;
  EXPECT_EQ(engine::max_input_tokens(e), 5000);
  EXPECT_EQ(executor::estimate_tokens(0), 0);
  EXPECT_EQ(executor::estimate_tokens(1), 1);
  EXPECT_EQ(executor::estimate_tokens(8), 2);
  EXPECT_EQ(executor::estimate_tokens(9), 3);
}

}  // namespace
