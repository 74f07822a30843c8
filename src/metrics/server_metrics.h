#pragma once
// Every metric `gigent-server` exposes at GET /metrics; the README's
// "Operating" section lists them.
#include <chrono>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

namespace gigent::metrics {

struct ServerMetrics {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& request_duration;
  prometheus::Gauge& parked_long_polls;
  prometheus::Gauge& open_connections;
  prometheus::Gauge& database_size;
};

// The server's families in metrics::registry(), created on first use.
ServerMetrics& server_metrics();

// One answered request; `path` is reduced to its route pattern.
void observe_request(const std::string& method, const std::string& path, int status, std::chrono::nanoseconds duration);

}  // namespace gigent::metrics
