#include "metrics/server_metrics.h"

#include <fmt/format.h>

#include "gigent/version.h"
#include "metrics/metrics.h"

namespace gigent::metrics {

namespace {

ServerMetrics make_server_metrics() {
  auto& r = registry();
  auto& requests = prometheus::BuildCounter()
                       .Name("gigent_server_http_requests_total")
                       .Help("HTTP requests answered, by method, route pattern and status")
                       .Register(r);
  auto& duration = prometheus::BuildHistogram()
                       .Name("gigent_server_http_request_duration_seconds")
                       .Help(
                           "Time from a request's arrival to its answer (a long-poll's wait included), by "
                           "method and route pattern")
                       .Register(r);
  auto& parked = prometheus::BuildGauge()
                     .Name("gigent_server_long_polls_parked")
                     .Help("Order list requests waiting for an order (long-poll)")
                     .Register(r)
                     .Add({});
  auto& connections = prometheus::BuildGauge()
                          .Name("gigent_server_open_connections")
                          .Help("Client connections open now")
                          .Register(r)
                          .Add({});
  auto& db_size = prometheus::BuildGauge()
                      .Name("gigent_server_database_size_bytes")
                      .Help("Size of the database on disk (the SQLite file and its write-ahead log)")
                      .Register(r)
                      .Add({});
  prometheus::BuildGauge()
      .Name("gigent_server_build_info")
      .Help("Always 1; the labels say which build runs")
      .Register(r)
      .Add({{"version", GIGENT_VERSION}, {"commit", GIGENT_GIT_COMMIT}})
      .Set(1);
  return {requests, duration, parked, connections, db_size};
}

// Clients choose methods and paths: at most this many distinct values of each
// label, whatever they send.
LabelCap& method_cap() {
  static LabelCap cap(16);
  return cap;
}

LabelCap& route_cap() {
  static LabelCap cap(200);
  return cap;
}

}  // namespace

ServerMetrics& server_metrics() {
  static ServerMetrics metrics = make_server_metrics();
  return metrics;
}

void observe_request(const std::string& method, const std::string& path, int status,
                     std::chrono::nanoseconds duration) {
  auto& m = server_metrics();
  const std::string method_label = method_cap()(method);
  const std::string route = route_cap()(route_pattern(path));
  m.requests.Add({{"method", method_label}, {"route", route}, {"status", fmt::format("{}", status)}}).Increment();
  m.request_duration.Add({{"method", method_label}, {"route", route}}, latency_buckets_seconds())
      .Observe(std::chrono::duration<double>(duration).count());
}

}  // namespace gigent::metrics
