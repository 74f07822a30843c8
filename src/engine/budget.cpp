#include "engine/budget.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "common/log.h"

namespace gigent::engine {

namespace {
std::shared_ptr<spdlog::logger> logger() {
  static auto log = log::get("budget");
  return log;
}

// A limit as JSON: null when it is not set (0).
template <typename T>
nlohmann::json limit_or_null(T limit) {
  return limit > 0 ? nlohmann::json(limit) : nlohmann::json(nullptr);
}
}  // namespace

std::string utc_day(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{:04}-{:02}-{:02}", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday);
}

double cost_usd(const config::BudgetSection& budget, long long input_tokens, long long output_tokens) {
  return (static_cast<double>(input_tokens) * budget.price_per_million_input_tokens +
          static_cast<double>(output_tokens) * budget.price_per_million_output_tokens) /
         1e6;
}

OrderAllowance order_allowance(const config::BudgetSection& budget, int max_tokens, long long used,
                               long long prompt_tokens) {
  OrderAllowance allowance;
  allowance.max_tokens = max_tokens;
  if (budget.max_tokens_per_order <= 0) return allowance;
  // The answer gets what the prompt leaves of the order's budget: the
  // provider then stops the model there, so the order cannot overspend by
  // much more than the prompt estimate is off.
  const long long left = budget.max_tokens_per_order - used - prompt_tokens;
  if (left < 1) {
    allowance.refused = true;
    allowance.reason = fmt::format(
        "the order's token budget is used up: {} tokens spent so far and about {} for the prompt (estimated as "
        "bytes/4) where execution.budget.max_tokens_per_order allows {}",
        used, prompt_tokens, budget.max_tokens_per_order);
    return allowance;
  }
  allowance.max_tokens = static_cast<int>(std::min<long long>(max_tokens, left));
  return allowance;
}

Budget::Budget(const config::ExecutionSection& execution, Journal& journal, const Clock& clock)
    : limits_(execution.budget), journal_(journal), clock_(clock) {}

namespace {
// Why the day's limits allow no new order, or nullopt.
std::optional<std::string> used_up_reason(const config::BudgetSection& limits, const std::string& day,
                                          const UsageTotals& spent) {
  if (limits.max_tokens_per_day > 0 && spent.tokens() >= limits.max_tokens_per_day)
    return fmt::format("the token budget of {} UTC is used up: {} of {} tokens (execution.budget.max_tokens_per_day)",
                       day, spent.tokens(), limits.max_tokens_per_day);
  if (limits.max_cost_per_day_usd > 0 && spent.cost_usd >= limits.max_cost_per_day_usd)
    return fmt::format(
        "the cost budget of {} UTC is used up: ${:.4f} of ${:.2f} (execution.budget.max_cost_per_day_usd)", day,
        spent.cost_usd, limits.max_cost_per_day_usd);
  return std::nullopt;
}
}  // namespace

nlohmann::json budget_report(const config::BudgetSection& limits, const std::string& day, const UsageTotals& spent) {
  const auto why = used_up_reason(limits, day, spent);
  return {{"day", day},
          {"input_tokens", spent.input_tokens},
          {"output_tokens", spent.output_tokens},
          {"tokens", spent.tokens()},
          {"calls", spent.calls},
          {"cost_usd", limits.has_prices() ? nlohmann::json(spent.cost_usd) : nlohmann::json(nullptr)},
          {"max_tokens_per_day", limit_or_null(limits.max_tokens_per_day)},
          {"max_cost_per_day_usd", limit_or_null(limits.max_cost_per_day_usd)},
          {"max_tokens_per_order", limit_or_null(limits.max_tokens_per_order)},
          {"used_up", why.has_value()},
          {"reason", why.value_or("")}};
}

std::optional<std::string> Budget::day_used_up() {
  if (limits_.max_tokens_per_day <= 0 && limits_.max_cost_per_day_usd <= 0) return std::nullopt;
  const std::string day = utc_day(clock_.wall());
  return used_up_reason(limits_, day, journal_.usage_on_day(day));
}

bool Budget::may_accept_new_order() {
  const auto why = day_used_up();
  std::lock_guard lock(log_mutex_);
  const std::string day = utc_day(clock_.wall());
  if (why) {
    if (refused_on_ != day)
      logger()->warn(
          "{}; new orders stay pending (for another agent, or for this one tomorrow); orders already "
          "taken are finished",
          *why);
    refused_on_ = day;
    return false;
  }
  if (!refused_on_.empty()) {
    logger()->info("the budget of {} UTC allows new orders again; taking orders", day);
    refused_on_.clear();
  }
  return true;
}

OrderAllowance Budget::allowance_for(const std::string& order_id, long long prompt_tokens, int max_tokens) {
  const long long used = limits_.max_tokens_per_order > 0 ? journal_.usage_of_order(order_id).tokens() : 0;
  return order_allowance(limits_, max_tokens, used, prompt_tokens);
}

void Budget::record(const std::string& order_id, const executor::LlmResult& result, const std::string& provider) {
  const auto now = clock_.wall();
  UsageRow row;
  row.order_id = order_id;
  row.day = utc_day(now);
  row.at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  row.input_tokens = result.usage.input_tokens;
  row.output_tokens = result.usage.output_tokens;
  row.cost_usd = cost_usd(limits_, row.input_tokens, row.output_tokens);
  row.provider = provider;
  row.model = result.model;
  journal_.record_usage(row);
}

nlohmann::json Budget::today() {
  const std::string day = utc_day(clock_.wall());
  return budget_report(limits_, day, journal_.usage_on_day(day));
}

}  // namespace gigent::engine
