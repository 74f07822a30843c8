#include "common/health.h"

#include <algorithm>

#include "common/time_format.h"

namespace gigent {

bool HealthReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const HealthCheck& c) { return c.ok; });
}

std::string HealthReport::text() const {
  if (ok()) return "ok\n";
  std::string out;
  for (const auto& check : checks) {
    if (check.ok) continue;
    out += check.name + ": failing";
    if (check.since) out += " since " + iso8601(*check.since);
    if (!check.detail.empty()) out += ": " + check.detail;
    out += "\n";
  }
  return out;
}

nlohmann::json HealthReport::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& check : checks) {
    list.push_back({{"name", check.name},
                    {"ok", check.ok},
                    {"detail", check.detail},
                    {"since", check.since ? nlohmann::json(iso8601(*check.since)) : nlohmann::json(nullptr)}});
  }
  return {{"status", ok() ? "ok" : "failing"}, {"checks", list}};
}

}  // namespace gigent
