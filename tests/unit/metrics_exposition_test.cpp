// The metrics library: route patterns keep labels few, label caps bound what
// clients can add, and the text exposition has what Prometheus needs (HELP,
// TYPE, escaped label values, histogram buckets up to +Inf, every order
// outcome from the start).
#include <gtest/gtest.h>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "metrics/metrics.h"
#include "metrics/runtime_metrics.h"

namespace gigent::metrics {
namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsRoutePattern, IdsBecomePlaceholdersAndApiWordsStay) {
  EXPECT_EQ(route_pattern("/api/orders/0b5f3e1c-9d7a-4c1e-8f00-123456789abc/status"), "/api/orders/:id/status");
  EXPECT_EQ(route_pattern("/api/agents/agent_42/heartbeat"), "/api/agents/:id/heartbeat");
  EXPECT_EQ(route_pattern("/api/agents/me"), "/api/agents/me");
  EXPECT_EQ(route_pattern("/api/agents/rotate-key"), "/api/agents/rotate-key");
  EXPECT_EQ(route_pattern("/api/orders?agent_id=a1&wait=25"), "/api/orders");
  EXPECT_EQ(route_pattern("/api/health"), "/api/health");
  EXPECT_EQ(route_pattern("/api/orders/wait"), "/api/orders/wait");
  EXPECT_EQ(route_pattern("/api/x/y/z/w/v/u/t"), "/api/:id/:id/:id/:id/...");
  EXPECT_EQ(route_pattern("/index.html"), "other");
  EXPECT_EQ(route_pattern("/apiary"), "other");
}

TEST(MetricsLabelCap, ValuesPastTheCapBecomeOther) {
  LabelCap cap(2);
  EXPECT_EQ(cap("GET"), "GET");
  EXPECT_EQ(cap("POST"), "POST");
  EXPECT_EQ(cap("BREW"), "other");
  EXPECT_EQ(cap("GET"), "GET");
}

TEST(MetricsExposition, HelpTypeEscapingAndHistogramBuckets) {
  prometheus::Registry registry;
  auto& counter = prometheus::BuildCounter().Name("test_requests_total").Help("Requests, by model").Register(registry);
  counter.Add({{"model", "quote\" back\\slash\nnewline"}}).Increment(3);
  auto& histogram = prometheus::BuildHistogram().Name("test_duration_seconds").Help("Durations").Register(registry);
  histogram.Add({{"route", "/api/health"}}, std::vector<double>{0.1, 1}).Observe(0.5);
  const std::string text = render(registry);
  EXPECT_TRUE(contains(text, "# HELP test_requests_total Requests, by model\n")) << text;
  EXPECT_TRUE(contains(text, "# TYPE test_requests_total counter\n")) << text;
  EXPECT_TRUE(contains(text, R"(test_requests_total{model="quote\" back\\slash\nnewline"} 3)")) << text;
  EXPECT_TRUE(contains(text, "# TYPE test_duration_seconds histogram\n")) << text;
  EXPECT_TRUE(contains(text, R"(test_duration_seconds_bucket{route="/api/health",le="0.1"} 0)")) << text;
  EXPECT_TRUE(contains(text, R"(test_duration_seconds_bucket{route="/api/health",le="1"} 1)")) << text;
  EXPECT_TRUE(contains(text, R"(test_duration_seconds_bucket{route="/api/health",le="+Inf"} 1)")) << text;
  EXPECT_TRUE(contains(text, R"(test_duration_seconds_sum{route="/api/health"} 0.5)")) << text;
  EXPECT_TRUE(contains(text, R"(test_duration_seconds_count{route="/api/health"} 1)")) << text;
}

TEST(MetricsExposition, EveryOrderOutcomeIsThereFromTheStartAndCounts) {
  runtime_metrics();
  std::string text = render();
  for (const char* outcome : {"delivered", "failed", "rejected", "cancelled", "revised"})
    EXPECT_TRUE(contains(text, std::string("gigent_runtime_orders_total{outcome=\"") + outcome + "\"} 0")) << text;
  count_order(OrderOutcome::Revised);
  EXPECT_TRUE(contains(render(), "gigent_runtime_orders_total{outcome=\"revised\"} 1"));
}

TEST(MetricsExposition, ScrapeHooksRunAtEachRenderUntilRemoved) {
  int runs = 0;
  int id = add_scrape_hook([&runs] { ++runs; });
  render();
  render();
  EXPECT_EQ(runs, 2);
  remove_scrape_hook(id);
  render();
  EXPECT_EQ(runs, 2);
}

TEST(MetricsExposition, InFlightOrdersAreCountedForTheirLifetime) {
  auto& gauge = runtime_metrics().orders_in_flight;
  const double before = gauge.Value();
  {
    OrderInFlight one;
    OrderInFlight two;
    EXPECT_EQ(gauge.Value(), before + 2);
  }
  EXPECT_EQ(gauge.Value(), before);
}

}  // namespace
}  // namespace gigent::metrics
