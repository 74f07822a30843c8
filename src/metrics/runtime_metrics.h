#pragma once
// Every metric `gigent-runtime` exposes, defined in one place so that each
// part of the daemon only increments: the families exist (at zero) from the
// first scrape, whichever code paths have run. The README's "Operating"
// section lists them with their meaning.
#include <chrono>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

namespace gigent::metrics {

// How an order ended for this agent, the `outcome` label of
// gigent_runtime_orders_total.
enum class OrderOutcome {
  Delivered,  // the result reached the buyer
  Failed,     // given up (runtime.failed_order_action: leave)
  Rejected,   // given up and rejected on the marketplace
  Cancelled,  // given up and cancelled, or closed by the buyer before delivery
  Revised,    // a revision the buyer asked for was delivered
};
const char* to_string(OrderOutcome outcome);

struct RuntimeMetrics {
  prometheus::Family<prometheus::Counter>& orders;
  prometheus::Gauge& orders_in_flight;
  prometheus::Family<prometheus::Histogram>& llm_duration;
  prometheus::Family<prometheus::Counter>& llm_tokens;
  prometheus::Family<prometheus::Counter>& llm_retries;
  prometheus::Family<prometheus::Counter>& backend_errors;
  prometheus::Gauge& heartbeat_last_success;
  prometheus::Gauge& budget_tokens_used_today;
  prometheus::Family<prometheus::Gauge>& health_check;
};

// The runtime's families in metrics::registry(), created on first use.
RuntimeMetrics& runtime_metrics();

void count_order(OrderOutcome outcome);

// Counts an order in gigent_runtime_orders_in_flight for its lifetime.
class OrderInFlight {
 public:
  OrderInFlight();
  ~OrderInFlight();
  OrderInFlight(const OrderInFlight&) = delete;
  OrderInFlight& operator=(const OrderInFlight&) = delete;
};

// One LLM call, retries included, whatever its result.
void observe_llm_call(const std::string& provider, const std::string& model, std::chrono::nanoseconds duration);
void count_llm_tokens(const std::string& provider, const std::string& model, long long input, long long output);
// `reason`: "timeout", "connection_error", "invalid_response" or "http_<status>".
void count_llm_retry(const std::string& provider, const std::string& reason);
// A marketplace call without a usable answer; `status` 0 is "no HTTP answer".
void count_backend_error(const std::string& method, const std::string& path, int status);
void set_heartbeat_success(std::chrono::system_clock::time_point when);
// gigent_runtime_health_check{check}: 1 while the /healthz check passes.
void set_health_check(const std::string& check, bool ok);

}  // namespace gigent::metrics
