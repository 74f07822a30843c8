// The per-gig work keys: tier instructions, a gig's own execution settings
// merged over the top-level ones, and the JSON Schemas checked at load with
// FILE:LINE:COL positions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "config/interpolate.h"
#include "support/config_text.h"

namespace gigent::config {
namespace {

const std::string& kBase = testing::kValidTenLineConfig;

LoadResult load(const std::string& text) {
  return load_string_with_env(text, "agent.yaml",
                              [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
}

std::string problems_of(const LoadResult& result) {
  std::string out;
  for (const Problem& problem : result.problems) out += problem.to_string() + "\n";
  return out;
}

TEST(ConfigGigWork, TierInstructionsAreRead) {
  auto result = load(kBase + "      premium: { price: 30, description: \"long\", instructions: \"3,000 words\" }\n");
  ASSERT_TRUE(result.ok()) << problems_of(result);
  const Gig& gig = result.config.gigs[0];
  ASSERT_TRUE(gig.premium);
  EXPECT_EQ(gig.premium->instructions, "3,000 words");
  EXPECT_EQ(gig.basic.instructions, "");
  EXPECT_EQ(&gig.tier("premium"), &*gig.premium);
  EXPECT_EQ(&gig.tier("standard"), &gig.basic) << "a tier the gig lacks falls back to basic";
}

TEST(ConfigGigWork, AGigsExecutionIsMergedOverTheTopLevel) {
  auto result = load(kBase +
                     "    execution:\n"
                     "      model: claude-review\n"
                     "      max_tokens: 900\n"
                     "execution:\n"
                     "  model: claude-top\n"
                     "  system_prompt: top prompt\n"
                     "  temperature: 0.3\n"
                     "  max_tokens: 100\n");
  ASSERT_TRUE(result.ok()) << problems_of(result);
  const ExecutionSection merged = execution_for(result.config.execution, result.config.gigs[0]);
  EXPECT_EQ(merged.model, "claude-review");
  EXPECT_EQ(merged.max_tokens, 900);
  EXPECT_EQ(merged.system_prompt, "top prompt") << "unset keys keep the top-level value";
  EXPECT_DOUBLE_EQ(merged.temperature, 0.3);
}

TEST(ConfigGigWork, AGigsTemperatureIsCheckedForTheProvider) {
  auto anthropic = load(kBase + "    execution:\n      temperature: 1.5\n");
  ASSERT_EQ(anthropic.problems.size(), 1u);
  EXPECT_EQ(anthropic.problems[0].to_string(),
            "agent.yaml:12:20: gigs[0].execution.temperature: 1.5 is out of range; expected a number from 0 to 1 "
            "(Anthropic's API refuses any other; OpenAI's accepts 0 to 2)")
      << problems_of(anthropic);
  auto openai = load(kBase + "    execution:\n      temperature: 1.5\nexecution:\n  provider: openai\n");
  EXPECT_TRUE(openai.ok()) << problems_of(openai);
}

TEST(ConfigGigWork, UnknownGigExecutionKeyIsAWarningWithASuggestion) {
  auto result = load(kBase + "    execution:\n      max_token: 5\n");
  EXPECT_TRUE(result.ok());
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].to_string().find("12:7: warning: gigs[0].execution.max_token: unknown key; did you "
                                                "mean `max_tokens`?"),
            std::string::npos)
      << result.warnings[0].to_string();
}

TEST(ConfigGigWork, SchemasAreReadAsYamlOrAsJsonText) {
  auto result = load(kBase +
                     "    input_schema:\n"
                     "      type: object\n"
                     "      required: [topic]\n"
                     "      properties:\n"
                     "        topic: { type: string, minLength: 3 }\n"
                     "        count: { type: integer, maximum: 10, enum: [1, \"2\", true, null] }\n"
                     "    output_schema: '{\"type\": \"array\", \"items\": {\"type\": \"number\"}}'\n");
  ASSERT_TRUE(result.ok()) << problems_of(result);
  const Gig& gig = result.config.gigs[0];
  EXPECT_EQ(gig.input_schema["properties"]["topic"]["minLength"], 3);
  EXPECT_EQ(gig.input_schema["properties"]["count"]["enum"], nlohmann::json::parse(R"([1, "2", true, null])"));
  EXPECT_EQ(gig.output_schema, nlohmann::json::parse(R"({"type": "array", "items": {"type": "number"}})"));
}

TEST(ConfigGigWork, AnUnusableSchemaIsAConfigErrorAtItsPosition) {
  auto bad_type = load(kBase + "    input_schema:\n      type: objekt\n");
  ASSERT_EQ(bad_type.problems.size(), 1u) << problems_of(bad_type);
  EXPECT_EQ(bad_type.problems[0].line, 12);
  EXPECT_EQ(bad_type.problems[0].column, 7);
  EXPECT_EQ(bad_type.problems[0].field, "gigs[0].input_schema");
  EXPECT_NE(bad_type.problems[0].message.find("is not a valid JSON Schema (draft-07)"), std::string::npos);

  auto not_json = load(kBase + "    output_schema: \"{not json\"\n");
  ASSERT_EQ(not_json.problems.size(), 1u) << problems_of(not_json);
  EXPECT_EQ(not_json.problems[0].to_string(),
            "agent.yaml:11:20: gigs[0].output_schema: is text that is not a JSON object; expected a JSON Schema, as a "
            "YAML mapping or as JSON text");

  auto bad_ref = load(kBase + "    output_schema: { $ref: \"#/definitions/missing\" }\n");
  ASSERT_EQ(bad_ref.problems.size(), 1u) << problems_of(bad_ref);
  EXPECT_EQ(bad_ref.problems[0].field, "gigs[0].output_schema");
}

TEST(ConfigGigWork, OrdersFindTheirGigByTitle) {
  auto result = load(kBase);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(find_gig(result.config, "  blog "), &result.config.gigs[0]);
  EXPECT_EQ(find_gig(result.config, "Other"), nullptr);
  EXPECT_EQ(find_gig(result.config, ""), nullptr);
}

}  // namespace
}  // namespace gigent::config
