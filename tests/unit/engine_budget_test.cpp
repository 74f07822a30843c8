// The spend ledger over a real journal file with an injected clock: the day's
// limits gate acceptance until the next UTC day, an order's calls add up
// against its own cap, the spend survives a reopen (a restart), and the
// acceptance rule picks the orders the daemon takes by itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sqlite3.h>

#include "common/file_clock.h"
#include "config/config.h"
#include "engine/acceptance.h"
#include "engine/budget.h"
#include "engine/journal.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::engine;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::time_point{}; }
  std::chrono::system_clock::time_point wall() const override { return wall_; }
  std::chrono::system_clock::time_point wall_ =
      std::chrono::system_clock::time_point(1893499200s);  // 2030-01-01 12:00 UTC
};

executor::LlmResult answer(long long in, long long out) {
  executor::LlmResult result;
  result.text = "done";
  result.model = "claude-test";
  result.usage = {in, out};
  return result;
}

config::ExecutionSection with_budget(int per_day, int per_order = 0) {
  config::ExecutionSection execution;
  execution.max_tokens = 1000;
  execution.budget.max_tokens_per_day = per_day;
  execution.budget.max_tokens_per_order = per_order;
  return execution;
}

TEST(EngineBudget, UtcDayIsTheCalendarDayInUtc) {
  EXPECT_EQ(utc_day(std::chrono::system_clock::time_point(1893499200s)), "2030-01-01");
  EXPECT_EQ(utc_day(std::chrono::system_clock::time_point(1893542399s)), "2030-01-01");  // 23:59:59
  EXPECT_EQ(utc_day(std::chrono::system_clock::time_point(1893542400s)), "2030-01-02");
}

TEST(EngineBudget, TheDaysTokenLimitStopsAcceptanceUntilTheNextUtcDay) {
  TempDir dir;
  Journal journal(dir.file("j.db"));
  FakeClock clock;
  Budget budget(with_budget(100), journal, clock);
  EXPECT_TRUE(budget.may_accept_new_order());
  budget.record("o1", answer(60, 30), "anthropic");
  EXPECT_TRUE(budget.may_accept_new_order()) << "90 of 100 tokens";
  budget.record("o2", answer(5, 5), "anthropic");
  EXPECT_FALSE(budget.may_accept_new_order());
  ASSERT_TRUE(budget.day_used_up().has_value());
  EXPECT_NE(budget.day_used_up()->find("100 of 100 tokens"), std::string::npos) << *budget.day_used_up();
  auto today = budget.today();
  EXPECT_EQ(today["day"], "2030-01-01");
  EXPECT_EQ(today["tokens"], 100);
  EXPECT_EQ(today["calls"], 2);
  EXPECT_EQ(today["used_up"], true);
  EXPECT_TRUE(today["cost_usd"].is_null()) << "no prices configured";

  clock.wall_ += 12h;  // 2030-01-02 00:00 UTC
  EXPECT_TRUE(budget.may_accept_new_order());
  EXPECT_EQ(budget.today()["tokens"], 0);
  EXPECT_EQ(budget.today()["day"], "2030-01-02");
}

TEST(EngineBudget, TheSpendSurvivesARestart) {
  TempDir dir;
  FakeClock clock;
  {
    Journal journal(dir.file("j.db"));
    Budget(with_budget(100, 500), journal, clock).record("o1", answer(80, 40), "anthropic");
  }
  Journal reopened(dir.file("j.db"));
  Budget budget(with_budget(100, 500), reopened, clock);
  EXPECT_FALSE(budget.may_accept_new_order());
  EXPECT_EQ(reopened.usage_of_order("o1").tokens(), 120);
  EXPECT_EQ(budget.allowance_for("o1", 10, 1000).max_tokens, 370) << "500 less 120 spent less a 10-token prompt";
}

TEST(EngineBudget, TheCostLimitCountsAtTheConfiguredPrices) {
  TempDir dir;
  Journal journal(dir.file("j.db"));
  FakeClock clock;
  config::ExecutionSection execution;
  execution.budget.max_cost_per_day_usd = 1.0;
  execution.budget.price_per_million_input_tokens = 3;
  execution.budget.price_per_million_output_tokens = 15;
  Budget budget(execution, journal, clock);
  budget.record("o1", answer(100'000, 40'000), "anthropic");  // $0.30 + $0.60
  EXPECT_TRUE(budget.may_accept_new_order());
  EXPECT_NEAR(budget.today()["cost_usd"].get<double>(), 0.9, 1e-9);
  budget.record("o2", answer(0, 10'000), "anthropic");  // $0.15
  EXPECT_FALSE(budget.may_accept_new_order());
  EXPECT_NE(budget.day_used_up()->find("max_cost_per_day_usd"), std::string::npos);
}

TEST(EngineBudget, AnOrdersCallsAddUpAgainstItsOwnCap) {
  const config::BudgetSection none;
  EXPECT_EQ(order_allowance(none, 4096, 1'000'000, 1'000'000).max_tokens, 4096) << "no cap: as configured";
  config::BudgetSection capped;
  capped.max_tokens_per_order = 2000;
  EXPECT_EQ(order_allowance(capped, 4096, 0, 500).max_tokens, 1500);
  EXPECT_EQ(order_allowance(capped, 1000, 0, 500).max_tokens, 1000) << "max_tokens stays the ceiling";
  EXPECT_EQ(order_allowance(capped, 4096, 1400, 500).max_tokens, 100);
  const auto refused = order_allowance(capped, 4096, 1500, 500);
  EXPECT_TRUE(refused.refused);
  EXPECT_NE(refused.reason.find("max_tokens_per_order allows 2000"), std::string::npos) << refused.reason;
  EXPECT_TRUE(order_allowance(capped, 4096, 0, 52'000).refused) << "a huge prompt is refused before it is paid for";

  TempDir dir;
  Journal journal(dir.file("j.db"));
  FakeClock clock;
  Budget budget(with_budget(0, 2000), journal, clock);
  budget.record("o1", answer(700, 300), "anthropic");  // a first call, e.g. before a retry
  budget.record("o2", answer(900, 900), "anthropic");  // another order: not counted for o1
  EXPECT_EQ(budget.allowance_for("o1", 200, 1000).max_tokens, 800);
  budget.record("o1", answer(700, 100), "anthropic");
  EXPECT_TRUE(budget.allowance_for("o1", 200, 1000).refused);
  EXPECT_TRUE(budget.may_accept_new_order()) << "no daily limit set";
}

TEST(EngineBudget, TheFileClockReadsTheUnixTimeItHoldsAtEveryCall) {
  TempDir dir;
  FileClock clock(dir.file("now"));
  const auto before = std::chrono::system_clock::now();
  EXPECT_GE(clock.wall(), before - 1s) << "no file yet: the system's time";
  std::ofstream(dir.file("now")) << "1893499200\n";
  EXPECT_EQ(utc_day(clock.wall()), "2030-01-01");
  std::ofstream(dir.file("now")) << "1893585600\n";
  EXPECT_EQ(utc_day(clock.wall()), "2030-01-02");
}

TEST(EngineBudget, StatusReadsTheSpendWithoutWritingBesideTheJournal) {
  TempDir dir;
  const std::string path = dir.file("j?#%.db");  // characters a URI would otherwise take as its own
  FakeClock clock;
  {
    Journal journal(path);
    Budget(with_budget(100), journal, clock).record("o1", answer(30, 12), "anthropic");
  }
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(path + suffix);
  const UsageTotals spent = Journal::read_usage_on_day(path, "2030-01-01");
  EXPECT_EQ(spent.tokens(), 42);
  EXPECT_EQ(spent.calls, 1);
  EXPECT_EQ(Journal::read_usage_on_day(path, "2030-01-02").tokens(), 0);
  for (const char* suffix : {"-wal", "-shm"})
    EXPECT_FALSE(std::filesystem::exists(path + suffix)) << suffix << " created by a reader";
  const auto report = budget_report(with_budget(40).budget, "2030-01-01", spent);
  EXPECT_EQ(report["used_up"], true);
  EXPECT_EQ(report["max_tokens_per_day"], 40);
  EXPECT_TRUE(report["max_tokens_per_order"].is_null());
}

TEST(EngineBudget, AJournalFromBeforeUsageWasKeptHasSpentNothing) {
  TempDir dir;
  {
    std::ofstream(dir.file("old.db")).close();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("old.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE jobs (order_id TEXT PRIMARY KEY)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ(Journal::read_usage_on_day(dir.file("old.db"), "2030-01-01").calls, 0);
  EXPECT_THROW(Journal::read_usage_on_day(dir.file("none.db"), "2030-01-01"), JournalError);
}

config::Config with_rule(config::AcceptRule rule) {
  config::Config config;
  config::Gig writing;
  writing.title = "Blog post writer";
  writing.category = "writing";
  config.gigs.push_back(writing);
  config.runtime.accept_rule = std::move(rule);
  return config;
}

nlohmann::json order(double price, const std::string& tier, const std::string& gig = "Blog Post Writer") {
  return {{"id", "o1"}, {"status", "pending"}, {"price", price}, {"tier", tier}, {"gig_title", gig}};
}

TEST(EngineAcceptance, AnOrderOutsideTheRuleIsLeftForTheOperatorWithTheReason) {
  EXPECT_FALSE(left_for_operator(config::Config{}, order(1e6, "premium"))) << "no rule: every order";
  config::Config off;
  off.runtime.auto_accept = false;
  EXPECT_EQ(left_for_operator(off, order(1, "basic")).value_or(""), "runtime.auto_accept is false");

  auto config = with_rule({.max_price = 10, .tiers = {"basic", "standard"}, .categories = {"writing"}});
  EXPECT_FALSE(left_for_operator(config, order(10, "standard")));
  EXPECT_NE(left_for_operator(config, order(10.5, "basic")).value_or("").find("above runtime.auto_accept.max_price"),
            std::string::npos);
  EXPECT_NE(left_for_operator(config, order(5, "premium")).value_or("").find("tier premium"), std::string::npos);
  EXPECT_NE(left_for_operator(config, order(5, "basic", "Gone gig")).value_or("").find("not in this config"),
            std::string::npos);
  auto no_tier = order(5, "basic");
  no_tier.erase("tier");
  EXPECT_FALSE(left_for_operator(config, no_tier)) << "an order without a tier is a basic one";
  auto text_price = order(5, "basic");
  text_price["price"] = "25.00";  // as the deployed service sends it
  EXPECT_TRUE(left_for_operator(config, text_price));

  auto code_only = with_rule({.max_price = std::nullopt, .tiers = {}, .categories = {"code"}});
  EXPECT_NE(left_for_operator(code_only, order(5, "basic")).value_or("").find("category writing"), std::string::npos);
}

}  // namespace
