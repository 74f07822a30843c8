#include "metrics/runtime_metrics.h"

#include <fmt/format.h>

#include "gigent/version.h"
#include "metrics/metrics.h"

namespace gigent::metrics {

namespace {

constexpr OrderOutcome kOutcomes[] = {OrderOutcome::Delivered, OrderOutcome::Failed, OrderOutcome::Rejected,
                                      OrderOutcome::Cancelled, OrderOutcome::Revised};

// LLM calls take seconds to minutes: buckets from 0.25 s to 10 minutes.
std::vector<double> llm_buckets_seconds() {
  return {0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600};
}

RuntimeMetrics make_runtime_metrics() {
  auto& r = registry();
  auto& orders = prometheus::BuildCounter()
                     .Name("gigent_runtime_orders_total")
                     .Help("Orders that ended, by outcome: delivered, failed, rejected, cancelled, revised")
                     .Register(r);
  for (auto outcome : kOutcomes) orders.Add({{"outcome", to_string(outcome)}});
  auto& in_flight = prometheus::BuildGauge()
                        .Name("gigent_runtime_orders_in_flight")
                        .Help("Orders being worked on now (LLM call or delivery)")
                        .Register(r)
                        .Add({});
  auto& llm_duration = prometheus::BuildHistogram()
                           .Name("gigent_runtime_llm_request_duration_seconds")
                           .Help("Duration of LLM calls, retries included, by provider and model")
                           .Register(r);
  auto& llm_tokens = prometheus::BuildCounter()
                         .Name("gigent_runtime_llm_tokens_total")
                         .Help("Tokens the LLM reported, by provider, model and direction (input, output)")
                         .Register(r);
  auto& llm_retries = prometheus::BuildCounter()
                          .Name("gigent_runtime_llm_retries_total")
                          .Help("LLM requests retried, by provider and reason")
                          .Register(r);
  auto& backend_errors = prometheus::BuildCounter()
                             .Name("gigent_runtime_backend_request_errors_total")
                             .Help(
                                 "Marketplace requests without a usable answer, by method, route and status "
                                 "(0: no HTTP answer)")
                             .Register(r);
  auto& heartbeat = prometheus::BuildGauge()
                        .Name("gigent_runtime_heartbeat_last_success_timestamp_seconds")
                        .Help("Unix time of the last heartbeat the marketplace accepted (0: none yet)")
                        .Register(r)
                        .Add({});
  auto& budget = prometheus::BuildGauge()
                     .Name("gigent_runtime_budget_tokens_used_today")
                     .Help("LLM tokens (input and output) counted against today's budget")
                     .Register(r)
                     .Add({});
  auto& health = prometheus::BuildGauge()
                     .Name("gigent_runtime_health_check")
                     .Help("1 while the /healthz check passes, 0 while it fails, by check")
                     .Register(r);
  prometheus::BuildGauge()
      .Name("gigent_runtime_build_info")
      .Help("Always 1; the labels say which build runs")
      .Register(r)
      .Add({{"version", GIGENT_VERSION}, {"commit", GIGENT_GIT_COMMIT}})
      .Set(1);
  return {orders, in_flight, llm_duration, llm_tokens, llm_retries, backend_errors, heartbeat, budget, health};
}

}  // namespace

const char* to_string(OrderOutcome outcome) {
  switch (outcome) {
    case OrderOutcome::Delivered:
      return "delivered";
    case OrderOutcome::Failed:
      return "failed";
    case OrderOutcome::Rejected:
      return "rejected";
    case OrderOutcome::Cancelled:
      return "cancelled";
    case OrderOutcome::Revised:
      return "revised";
  }
  return "failed";
}

RuntimeMetrics& runtime_metrics() {
  static RuntimeMetrics metrics = make_runtime_metrics();
  return metrics;
}

void count_order(OrderOutcome outcome) {
  runtime_metrics().orders.Add({{"outcome", to_string(outcome)}}).Increment();
}

OrderInFlight::OrderInFlight() {
  runtime_metrics().orders_in_flight.Increment();
}

OrderInFlight::~OrderInFlight() {
  runtime_metrics().orders_in_flight.Decrement();
}

void observe_llm_call(const std::string& provider, const std::string& model, std::chrono::nanoseconds duration) {
  runtime_metrics()
      .llm_duration.Add({{"provider", provider}, {"model", model}}, llm_buckets_seconds())
      .Observe(std::chrono::duration<double>(duration).count());
}

void count_llm_tokens(const std::string& provider, const std::string& model, long long input, long long output) {
  auto& tokens = runtime_metrics().llm_tokens;
  if (input > 0)
    tokens.Add({{"provider", provider}, {"model", model}, {"direction", "input"}}).Increment(double(input));
  if (output > 0)
    tokens.Add({{"provider", provider}, {"model", model}, {"direction", "output"}}).Increment(double(output));
}

void count_llm_retry(const std::string& provider, const std::string& reason) {
  runtime_metrics().llm_retries.Add({{"provider", provider}, {"reason", reason}}).Increment();
}

void count_backend_error(const std::string& method, const std::string& path, int status) {
  // Methods come from the client's own code, routes are patterns: few series.
  runtime_metrics()
      .backend_errors.Add({{"method", method}, {"route", route_pattern(path)}, {"status", fmt::format("{}", status)}})
      .Increment();
}

void set_heartbeat_success(std::chrono::system_clock::time_point when) {
  runtime_metrics().heartbeat_last_success.Set(std::chrono::duration<double>(when.time_since_epoch()).count());
}

void set_health_check(const std::string& check, bool ok) {
  runtime_metrics().health_check.Add({{"check", check}}).Set(ok ? 1 : 0);
}

}  // namespace gigent::metrics
