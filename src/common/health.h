#pragma once
// What GET /healthz reports: named checks, each passing or failing since a
// given time. The engine fills it from the status registry; the observability
// endpoint and the systemd watchdog read it.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gigent {

struct HealthCheck {
  std::string name;  // "boot", "heartbeat", "poll_loop", "journal"
  bool ok = true;
  std::string detail;                                          // why it fails (or what it saw), one line
  std::optional<std::chrono::system_clock::time_point> since;  // failing since
  // False when the failure is outside this process (the backend unreachable
  // while the loop keeps trying): a restart cannot cure it, so the systemd
  // watchdog keeps being fed and only /healthz reports it.
  bool restart_helps = true;
};

struct HealthReport {
  std::vector<HealthCheck> checks;
  bool ok() const;
  // The failing checks, one per line: "heartbeat: failing since 2025-...Z: last success ...".
  std::string text() const;
  nlohmann::json to_json() const;
};

}  // namespace gigent
