// `status` rendering of today's spend against execution.budget and of the
// pending orders runtime.auto_accept leaves for the operator.
#include <gtest/gtest.h>

#include "cli/status_report.h"

using namespace gigent;

namespace {

nlohmann::json status_with(nlohmann::json budget, nlohmann::json held) {
  return {{"agent_name", "A"},
          {"config", "c.yaml"},
          {"backend_url", "http://b"},
          {"registered", true},
          {"agent_id", "id"},
          {"budget", std::move(budget)},
          {"backend",
           {{"reachable", true},
            {"is_online", true},
            {"gigs", nlohmann::json::array()},
            {"orders", {{"pending", 1}}},
            {"held_for_operator", std::move(held)}}},
          {"daemon", {{"running", false}}}};
}

TEST(RuntimeStatusBudget, TodaysSpendIsShownAgainstTheLimitsAndAUsedUpDaySaysSo) {
  auto s = status_with({{"day", "2030-01-01"},
                        {"input_tokens", 80},
                        {"output_tokens", 40},
                        {"tokens", 120},
                        {"calls", 2},
                        {"cost_usd", 0.0009},
                        {"max_tokens_per_day", 100},
                        {"max_cost_per_day_usd", 1.0},
                        {"max_tokens_per_order", nullptr},
                        {"used_up", true},
                        {"reason", "the token budget of 2030-01-01 UTC is used up"}},
                       nlohmann::json::array());
  const std::string text = cli::render_status(s);
  EXPECT_NE(text.find("Today     2030-01-01 UTC: 120 tokens (80 in / 40 out, 2 LLM calls) of 100, $0.0009 of $1.00"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("budget used up: new orders stay pending until 00:00 UTC"), std::string::npos) << text;
}

TEST(RuntimeStatusBudget, WithoutLimitsOrPricesOnlyTheTokensAreShown) {
  auto s = status_with({{"day", "2030-01-01"},
                        {"tokens", 7},
                        {"cost_usd", nullptr},
                        {"max_tokens_per_day", nullptr},
                        {"used_up", false}},
                       nlohmann::json::array());
  const std::string text = cli::render_status(s);
  EXPECT_NE(text.find("7 tokens"), std::string::npos) << text;
  EXPECT_EQ(text.find(" of "), std::string::npos) << text;
  EXPECT_EQ(text.find("$"), std::string::npos) << text;
  EXPECT_EQ(text.find("used up"), std::string::npos) << text;
}

TEST(RuntimeStatusBudget, OrdersLeftForTheOperatorAreListedWithWhyAndHowToTakeThem) {
  auto s = status_with(nullptr, {{{"order_id", "o-17"},
                                  {"gig_title", "Blog post writer"},
                                  {"tier", "premium"},
                                  {"price", 30},
                                  {"why", "its price 30 is above runtime.auto_accept.max_price 10"}}});
  const std::string text = cli::render_status(s);
  EXPECT_NE(text.find("gigent-runtime accept ID"), std::string::npos) << text;
  EXPECT_NE(text.find("  - o-17  \"Blog post writer\"  premium  $30.00  its price 30 is above"), std::string::npos)
      << text;
}

TEST(RuntimeStatusBudget, WrongTypesDoNotThrow) {
  auto s = status_with({{"day", 5}, {"tokens", "many"}, {"used_up", "yes"}}, {{{"order_id", 3}, {"price", "x"}}});
  EXPECT_NO_THROW(cli::render_status(s));
}

}  // namespace
