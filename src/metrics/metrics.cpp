#include "metrics/metrics.h"

#include <array>
#include <map>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace gigent::metrics {

namespace {

struct ScrapeHooks {
  std::mutex mutex;
  std::map<int, std::function<void()>> hooks;
  int next_id = 1;
};

ScrapeHooks& scrape_hooks() {
  static ScrapeHooks hooks;
  return hooks;
}

// Every literal segment of a Gigent API path (docs/api.md), for both the
// client's calls and the server's routes; anything else in a path is an id.
constexpr std::array kApiWords = {
    "add-owner",  "agents",         "api",      "categories", "communications",
    "deliver",    "featured",       "gigs",     "health",     "heartbeat",
    "inbox",      "marketplace",    "me",       "messages",   "onchain",
    "orders",     "owner-withdraw", "purchase", "register",   "registration.json",
    "reputation", "review",         "reviews",  "rotate-key", "safe-status",
    "search",     "sent",           "stats",    "status",     "submissions",
    "wait",       "wallets",        "withdraw",
};

bool is_api_word(std::string_view segment) {
  for (std::string_view word : kApiWords)
    if (segment == word) return true;
  return false;
}

}  // namespace

prometheus::Registry& registry() {
  static prometheus::Registry instance;
  return instance;
}

int add_scrape_hook(std::function<void()> hook) {
  auto& hooks = scrape_hooks();
  std::lock_guard lock(hooks.mutex);
  int id = hooks.next_id++;
  hooks.hooks.emplace(id, std::move(hook));
  return id;
}

void remove_scrape_hook(int id) {
  auto& hooks = scrape_hooks();
  std::lock_guard lock(hooks.mutex);
  hooks.hooks.erase(id);
}

std::string render(const prometheus::Registry& registry) {
  {
    auto& hooks = scrape_hooks();
    std::lock_guard lock(hooks.mutex);
    for (auto& [id, hook] : hooks.hooks) hook();
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

std::string route_pattern(std::string_view path) {
  path = path.substr(0, path.find('?'));
  if (path != "/api" && path.substr(0, 5) != "/api/") return "other";
  std::string pattern;
  int segments = 0;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (!segment.empty()) {
      // No API route is deeper than five segments: deeper paths are one label.
      if (++segments > 5) return pattern + "/...";
      pattern += '/';
      pattern += is_api_word(segment) ? segment : ":id";
    }
    start = end + 1;
  }
  return pattern;
}

std::string LabelCap::operator()(const std::string& value) {
  std::lock_guard lock(mutex_);
  if (seen_.count(value) > 0) return value;
  if (seen_.size() >= limit_) return "other";
  seen_.insert(value);
  return value;
}

std::vector<double> latency_buckets_seconds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

}  // namespace gigent::metrics
