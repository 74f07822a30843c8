#pragma once
// execution.budget: what the daemon may spend on LLM calls. Every answer's
// usage goes to the journal (Journal::record_usage) before its result, so a
// restart knows the day's spend and each order's sum. The day's limits only
// gate accepting new orders (orders held are finished); the per-order limit
// caps each call's max_tokens and refuses a call the order cannot afford.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cancel.h"
#include "config/config.h"
#include "engine/journal.h"
#include "executor/llm_provider.h"

namespace gigent::engine {

// "YYYY-MM-DD" of `t` in UTC: budgets run per UTC day.
std::string utc_day(std::chrono::system_clock::time_point t);

// USD for a call at the configured prices (0 when none are configured).
double cost_usd(const config::BudgetSection& budget, long long input_tokens, long long output_tokens);

// What one LLM call of an order may use.
struct OrderAllowance {
  bool refused = false;
  std::string reason;  // when refused: for the operator's log
  int max_tokens = 0;  // the call's max_tokens: execution.max_tokens, or less to stay within the order's budget
};

// `used`: tokens the order's earlier calls cost; `prompt_tokens`: the
// estimate for this call's prompt. Without max_tokens_per_order the call
// gets `max_tokens` as configured.
OrderAllowance order_allowance(const config::BudgetSection& budget, int max_tokens, long long used,
                               long long prompt_tokens);

// Today's spend against the limits, for the state file, `status` and metrics:
// {day, input_tokens, output_tokens, tokens, calls, cost_usd (null without prices),
//  max_tokens_per_day, max_cost_per_day_usd, max_tokens_per_order (null when unset),
//  used_up, reason}.
nlohmann::json budget_report(const config::BudgetSection& limits, const std::string& day, const UsageTotals& spent);

class Budget {
 public:
  // `clock`: its wall() decides the UTC day (injected: tests move it).
  Budget(const config::ExecutionSection& execution, Journal& journal, const Clock& clock);

  // Why the day's limits allow no new order, or nullopt when they do (or none
  // is set). Throws JournalError.
  std::optional<std::string> day_used_up();
  // day_used_up() for the intake, which logs the first refusal of each day
  // and the return of the budget the next day. Throws JournalError.
  bool may_accept_new_order();
  // The allowance of the next call of `order_id`, whose own limit is
  // `max_tokens` (the gig's, else execution.max_tokens). Throws JournalError.
  OrderAllowance allowance_for(const std::string& order_id, long long prompt_tokens, int max_tokens);
  // Records one answer's usage. Throws JournalError.
  void record(const std::string& order_id, const executor::LlmResult& result, const std::string& provider);
  // budget_report() for today. Throws JournalError.
  nlohmann::json today();

 private:
  config::BudgetSection limits_;
  Journal& journal_;
  const Clock& clock_;
  std::mutex log_mutex_;
  std::string refused_on_;  // the day the last "used up" line was logged for
};

}  // namespace gigent::engine
