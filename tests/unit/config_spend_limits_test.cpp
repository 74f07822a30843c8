// execution.budget and runtime.auto_accept as a rule: values read, defaults,
// and every refused value with its position and field.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "support/config_text.h"

namespace gigent::config {
namespace {

const std::string& kValid = testing::kValidTenLineConfig;

std::string problems_of(const LoadResult& result) {
  std::string out;
  for (const Problem& problem : result.problems) out += problem.to_string() + "\n";
  return out;
}

TEST(ConfigSpendLimits, NoBudgetAndABooleanAutoAcceptAreTheDefaults) {
  const LoadResult result = load_string(kValid + "runtime:\n  auto_accept: false\n", "a.yaml");
  ASSERT_TRUE(result.ok()) << problems_of(result);
  EXPECT_FALSE(result.config.runtime.auto_accept);
  EXPECT_FALSE(result.config.runtime.accept_rule.has_value());
  const BudgetSection& budget = result.config.execution.budget;
  EXPECT_EQ(budget.max_tokens_per_order, 0);
  EXPECT_EQ(budget.max_tokens_per_day, 0);
  EXPECT_EQ(budget.max_cost_per_day_usd, 0);
  EXPECT_FALSE(budget.has_prices());
}

TEST(ConfigSpendLimits, EveryBudgetKeyIsRead) {
  const LoadResult result = load_string(kValid +
                                            "execution:\n"
                                            "  budget:\n"
                                            "    max_tokens_per_order: 20000\n"
                                            "    max_tokens_per_day: 1000000\n"
                                            "    max_cost_per_day_usd: 5.5\n"
                                            "    price_per_million_input_tokens: 3\n"
                                            "    price_per_million_output_tokens: 15\n",
                                        "a.yaml");
  ASSERT_TRUE(result.ok()) << problems_of(result);
  const BudgetSection& budget = result.config.execution.budget;
  EXPECT_EQ(budget.max_tokens_per_order, 20000);
  EXPECT_EQ(budget.max_tokens_per_day, 1000000);
  EXPECT_DOUBLE_EQ(budget.max_cost_per_day_usd, 5.5);
  EXPECT_DOUBLE_EQ(budget.price_per_million_input_tokens, 3);
  EXPECT_DOUBLE_EQ(budget.price_per_million_output_tokens, 15);
}

TEST(ConfigSpendLimits, ACostLimitWithoutPricesIsAnErrorAtTheLimit) {
  const LoadResult result = load_string(kValid +
                                            "execution:\n"                    // 11
                                            "  budget:\n"                     // 12
                                            "    max_cost_per_day_usd: 5\n",  // 13
                                        "a.yaml");
  ASSERT_EQ(result.problems.size(), 1u) << problems_of(result);
  EXPECT_EQ(result.problems[0].line, 13);
  EXPECT_EQ(result.problems[0].column, 27);
  EXPECT_EQ(result.problems[0].field, "execution.budget.max_cost_per_day_usd");
  EXPECT_NE(result.problems[0].message.find("price_per_million_input_tokens"), std::string::npos);
}

TEST(ConfigSpendLimits, OutOfRangeAndUnknownBudgetKeysAreReported) {
  const LoadResult result = load_string(kValid +
                                            "execution:\n"                   // 11
                                            "  budget:\n"                    // 12
                                            "    max_tokens_per_order: 0\n"  // 13
                                            "    max_tokens_per_day: -5\n"   // 14
                                            "    max_tokens_per_dya: 5\n",   // 15
                                        "a.yaml");
  ASSERT_EQ(result.problems.size(), 2u) << problems_of(result);
  EXPECT_EQ(result.problems[0].field, "execution.budget.max_tokens_per_order");
  EXPECT_EQ(result.problems[0].line, 13);
  EXPECT_EQ(result.problems[1].field, "execution.budget.max_tokens_per_day");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].line, 15);
  EXPECT_NE(result.warnings[0].message.find("max_tokens_per_day"), std::string::npos) << result.warnings[0].message;
}

TEST(ConfigSpendLimits, AutoAcceptAsARuleIsReadAndKeepsAcceptingOn) {
  const LoadResult result = load_string(kValid +
                                            "runtime:\n"
                                            "  auto_accept:\n"
                                            "    max_price: 50\n"
                                            "    tiers: [basic, Standard]\n"
                                            "    categories: [writing, code]\n",
                                        "a.yaml");
  ASSERT_TRUE(result.ok()) << problems_of(result);
  EXPECT_TRUE(result.config.runtime.auto_accept);
  ASSERT_TRUE(result.config.runtime.accept_rule.has_value());
  const AcceptRule& rule = *result.config.runtime.accept_rule;
  ASSERT_TRUE(rule.max_price.has_value());
  EXPECT_DOUBLE_EQ(*rule.max_price, 50);
  EXPECT_EQ(rule.tiers, (std::vector<std::string>{"basic", "standard"}));
  EXPECT_EQ(rule.categories, (std::vector<std::string>{"writing", "code"}));
}

TEST(ConfigSpendLimits, ARuleWithoutMaxPriceHasNone) {
  const LoadResult result = load_string(kValid + "runtime:\n  auto_accept: { tiers: [premium] }\n", "a.yaml");
  ASSERT_TRUE(result.ok()) << problems_of(result);
  ASSERT_TRUE(result.config.runtime.accept_rule.has_value());
  EXPECT_FALSE(result.config.runtime.accept_rule->max_price.has_value());
}

TEST(ConfigSpendLimits, AnUnknownTierOrCategoryIsAnErrorAtItsItemWithASuggestion) {
  const LoadResult result = load_string(kValid +
                                            "runtime:\n"                     // 11
                                            "  auto_accept:\n"               // 12
                                            "    tiers: [basic, premuim]\n"  // 13
                                            "    categories: [writting]\n"   // 14
                                            "    max_price: cheap\n",        // 15
                                        "a.yaml");
  ASSERT_EQ(result.problems.size(), 3u) << problems_of(result);
  EXPECT_EQ(result.problems[0].to_string(),
            "a.yaml:13:20: runtime.auto_accept.tiers[1]: \"premuim\" is not one of: basic, standard, premium (did you "
            "mean `premium`?)");
  EXPECT_EQ(result.problems[1].field, "runtime.auto_accept.categories[0]");
  EXPECT_EQ(result.problems[1].line, 14);
  EXPECT_NE(result.problems[1].message.find("did you mean `writing`?"), std::string::npos);
  EXPECT_EQ(result.problems[2].field, "runtime.auto_accept.max_price");
}

}  // namespace
}  // namespace gigent::config
