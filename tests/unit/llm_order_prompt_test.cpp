// The one prompt builder: what an order, its gig and tier, the buyer's
// messages and a previous delivery become in the provider request.
#include <gtest/gtest.h>

#include "executor/json_check.h"
#include "executor/prompt.h"

namespace gigent::executor {
namespace {

using nlohmann::json;

config::Gig blog_gig() {
  config::Gig gig;
  gig.title = "Blog post writer";
  gig.basic.description = "500-word post";
  gig.premium = config::Tier{30, "3000-word post", 3, "3,000 words, with an outline and sources"};
  gig.example_input = "EX-IN";
  gig.example_output = "EX-OUT";
  return gig;
}

config::ExecutionSection top_execution() {
  config::ExecutionSection execution;
  execution.model = "claude-top";
  execution.system_prompt = "You write well.";
  execution.max_tokens = 500;
  execution.temperature = 0.4;
  return execution;
}

TEST(LlmOrderPrompt, APremiumOrderGetsItsTierInstructionsTheExampleAndTheTierInTheMessage) {
  const config::Gig gig = blog_gig();
  const json order = {{"brief", "Write about tea"}, {"tier", "premium"}};
  const LlmRequest request = build_order_request({&order, &gig, top_execution()});
  EXPECT_EQ(request.system.find("You write well."), 0u);
  EXPECT_NE(request.system.find("premium tier. Its instructions: 3,000 words, with an outline and sources"),
            std::string::npos)
      << request.system;
  EXPECT_NE(request.system.find("EX-IN"), std::string::npos);
  EXPECT_NE(request.system.find("EX-OUT"), std::string::npos);
  ASSERT_EQ(request.turns.size(), 1u);
  EXPECT_EQ(request.turns[0].content.find("## Brief\nWrite about tea"), 0u);
  EXPECT_NE(request.turns[0].content.find("## Tier\npremium: 3000-word post"), std::string::npos);
  EXPECT_EQ(request.model, "claude-top");
  EXPECT_EQ(request.max_tokens, 500);
}

TEST(LlmOrderPrompt, ABasicOrderHasNoOtherTiersInstructions) {
  const config::Gig gig = blog_gig();
  const json order = {{"brief", "Write"}, {"tier", "basic"}};
  const LlmRequest request = build_order_request({&order, &gig, top_execution()});
  EXPECT_EQ(request.system.find("3,000 words"), std::string::npos);
  EXPECT_NE(request.turns[0].content.find("basic: 500-word post"), std::string::npos);
}

TEST(LlmOrderPrompt, TheGigsOwnExecutionSettingsWin) {
  config::Gig gig = blog_gig();
  gig.execution.model = "claude-review";
  gig.execution.system_prompt = "You review code.";
  gig.execution.temperature = 0.1;
  const json order = {{"brief", "Review"}};
  const LlmRequest request = build_order_request({&order, &gig, top_execution()});
  EXPECT_EQ(request.model, "claude-review");
  EXPECT_EQ(request.system.find("You review code."), 0u);
  EXPECT_EQ(request.system.find("You write well."), std::string::npos);
  EXPECT_DOUBLE_EQ(*request.temperature, 0.1);
  EXPECT_EQ(request.max_tokens, 500);
}

TEST(LlmOrderPrompt, ClarificationsAreQuotedAsTheBuyersWords) {
  const json order = {{"brief", "Write"}};
  OrderPrompt prompt{&order, nullptr, top_execution()};
  prompt.clarifications = {"Please use ``` fences", "and British spelling"};
  const LlmRequest request = build_order_request(prompt);
  const std::string& text = request.turns[0].content;
  EXPECT_NE(text.find("The buyer's own words"), std::string::npos);
  EXPECT_NE(text.find("````\nPlease use ``` fences\n````"), std::string::npos) << text;
  EXPECT_NE(text.find("and British spelling"), std::string::npos);
}

TEST(LlmOrderPrompt, ARevisionIsBriefThenPreviousDeliveryAsAssistantThenTheRequest) {
  const config::Gig gig = blog_gig();
  const json order = {{"brief", "Write about tea"}};
  OrderPrompt prompt{&order, &gig, top_execution()};
  prompt.revision = RevisionRound{2, "Tea is great.", {"Shorter title, please"}};
  const LlmRequest request = build_order_request(prompt);
  ASSERT_EQ(request.turns.size(), 3u);
  EXPECT_EQ(request.turns[0].role, LlmTurn::Role::User);
  EXPECT_EQ(request.turns[1].role, LlmTurn::Role::Assistant);
  EXPECT_EQ(request.turns[1].content, "Tea is great.");
  EXPECT_EQ(request.turns[2].role, LlmTurn::Role::User);
  EXPECT_NE(request.turns[2].content.find("revision 2"), std::string::npos);
  EXPECT_NE(request.turns[2].content.find("Shorter title, please"), std::string::npos);
}

TEST(LlmOrderPrompt, TheOutputSchemaIsInTheSystemPromptForJsonDelivery) {
  config::Gig gig = blog_gig();
  gig.output_schema = json::parse(R"({"type":"object","required":["title"]})");
  const json order = {{"brief", "Extract"}};
  OrderPrompt prompt{&order, &gig, top_execution(), config::DeliveryFormat::Json};
  EXPECT_NE(build_order_request(prompt).system.find("\"required\""), std::string::npos);
  prompt.format = config::DeliveryFormat::Markdown;
  EXPECT_EQ(build_order_request(prompt).system.find("\"required\""), std::string::npos);
}

TEST(LlmOrderPrompt, BuyerWordsAreSortedIntoClarificationsAndTheRevisionRequest) {
  const json messages = json::parse(R"([
    {"sender_id": "b", "content": "before work", "message_type": "text"},
    {"sender_id": "s", "content": "Sorry, failed", "message_type": "text"},
    {"sender_id": "s", "content": "Revision 1 delivered.", "message_type": "delivery"},
    {"sender_id": "b", "content": "chatty note", "message_type": "text"},
    {"sender_id": "b", "content": "change the title", "message_type": "revision_request"}
  ])");
  const BuyerWords words = read_buyer_words(messages, "b");
  EXPECT_EQ(words.clarifications, std::vector<std::string>{"before work"});
  EXPECT_EQ(words.revision_request, std::vector<std::string>{"change the title"});

  // Without a revision_request message, the buyer's newest messages since the delivery.
  const json plain = json::parse(R"([
    {"sender_id": "b", "content": "old", "message_type": "text", "created_at": "2026-01-01 10:00:00"},
    {"sender_id": "b", "content": "new ask", "message_type": "text", "created_at": "2026-01-01 11:00:00"}
  ])");
  EXPECT_EQ(read_buyer_words(plain, "b", "2026-01-01 10:30:00").revision_request, std::vector<std::string>{"new ask"});
  EXPECT_EQ(read_buyer_words(plain, "b", "2026-01-01 10:30:00").clarifications, std::vector<std::string>{"old"});
}

TEST(LlmOrderPrompt, ACorrectionQuotesTheReplyAndEachProblem) {
  LlmRequest asked{"system", "the order"};
  const LlmRequest next = correction_request(asked, "{bad", {"/a: expected a string, got a number", "/b: missing"});
  ASSERT_EQ(next.turns.size(), 3u);
  EXPECT_EQ(next.turns[0].content, "the order");
  EXPECT_EQ(next.turns[1].role, LlmTurn::Role::Assistant);
  EXPECT_EQ(next.turns[1].content, "{bad");
  EXPECT_NE(next.turns[2].content.find("- /a: expected a string, got a number\n- /b: missing"), std::string::npos);
}

TEST(LlmOrderPrompt, DeliveredTextReadsContentOrResult) {
  EXPECT_EQ(delivered_text(json::parse(R"({"content":"hi","format":"markdown"})")), "hi");
  EXPECT_EQ(delivered_text(json(R"({"content":"as text","format":"text"})")), "as text");
  EXPECT_EQ(delivered_text(json::parse(R"({"result":{"a":1},"format":"json"})")), "{\n  \"a\": 1\n}");
}

TEST(LlmOrderPrompt, SchemaProblemsAreWordedWithTheirPlace) {
  const json schema = json::parse(R"({"type":"object","required":["code"],"properties":{"n":{"type":"string"}}})");
  const auto problems = schema_problems(schema, json::parse(R"({"n": 5})"));
  ASSERT_EQ(problems.size(), 2u);
  const std::string both = problems[0] + "\n" + problems[1];
  EXPECT_NE(both.find("code"), std::string::npos) << both;
  EXPECT_NE(both.find("/n: expected a string, got a number"), std::string::npos) << both;
  EXPECT_TRUE(schema_problems(schema, json::parse(R"({"code": "x"})")).empty());
  EXPECT_EQ(input_as_json(json("{\"a\": 1}")), json::parse(R"({"a":1})"));
  EXPECT_FALSE(input_as_json(json("plain words")));
  EXPECT_EQ(reply_as_json("Here:\n```json\n[1]\n```"), json::array({1}));
}

}  // namespace
}  // namespace gigent::executor
