#pragma once
// The metrics both binaries expose at GET /metrics, on prometheus-cpp's core
// library (Debian's prometheus-cpp-dev): its families are thread-safe and its
// text serializer writes the exposition format 0.0.4 (HELP, TYPE, escaped
// label values, _bucket/_sum/_count with le="+Inf"). Only the core is used;
// the endpoint is served by the project's own HTTP server (src/http).
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/registry.h>

namespace gigent::metrics {

// What GET /metrics answers with.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// The process's registry: every family of the binary lives here.
prometheus::Registry& registry();

// Runs the scrape hooks (gauges read at scrape time), then writes every family
// of `registry` in the text format.
std::string render(const prometheus::Registry& registry = metrics::registry());

// A gauge whose value is read when scraped (open connections, database size):
// `hook` runs at the start of each render(), on the scraping thread, and must
// be quick. Returns an id for remove_scrape_hook.
int add_scrape_hook(std::function<void()> hook);
void remove_scrape_hook(int id);

// The route of an API path with its ids replaced, "/api/orders/:id/status",
// so that labels stay few whatever paths clients send. Paths outside /api are
// "other"; segments that are not words of the Gigent API become ":id".
std::string route_pattern(std::string_view path);

// Caps the distinct values one label may take: the first `limit` values are
// kept, later ones become "other". A client choosing paths (or methods) cannot
// grow the series without bound.
class LabelCap {
 public:
  explicit LabelCap(std::size_t limit) : limit_(limit) {}
  std::string operator()(const std::string& value);

 private:
  std::size_t limit_;
  std::mutex mutex_;
  std::set<std::string, std::less<>> seen_;
};

// Bucket bounds in seconds for request latencies, from 5 ms to 5 minutes.
std::vector<double> latency_buckets_seconds();

}  // namespace gigent::metrics
