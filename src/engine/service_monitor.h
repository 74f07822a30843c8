#pragma once
// While the daemon serves orders: probes the journal, reports health changes
// in the log, keeps systemd's STATUS= line current, and pings the systemd
// watchdog only while the health checks pass, so that systemd restarts a
// daemon that is alive but stuck (WatchdogSec= in the unit).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/health.h"

namespace gigent::engine {

struct MonitorHooks {
  std::function<void()> probe_journal;  // records its result where health() reads it
  std::function<HealthReport()> health;
  std::function<std::string()> activity;  // "2 order(s) in flight, 5 delivered"
  std::function<bool()> draining;
};

// Half the watchdog timeout, as sd_watchdog_enabled(3) advises, and at least
// every 10 s so that the journal probe and STATUS= stay fresh.
std::chrono::milliseconds monitor_period(std::optional<std::chrono::microseconds> watchdog_timeout);

// Whether to ping the watchdog: every check passes, or fails only where a
// restart cannot help (the backend down while the heartbeat loop keeps
// trying); a drain (the "boot" check failing on purpose) still pings while
// the rest work. A stuck loop or an unwritable journal stops the pings.
bool watchdog_may_ping(const HealthReport& report, bool draining);

class ServiceMonitor {
 public:
  explicit ServiceMonitor(MonitorHooks hooks);
  ~ServiceMonitor();  // stops and joins
  ServiceMonitor(const ServiceMonitor&) = delete;
  ServiceMonitor& operator=(const ServiceMonitor&) = delete;

 private:
  void loop(const std::stop_token& stop);
  void tick();

  MonitorHooks hooks_;
  std::chrono::milliseconds period_;
  bool watchdog_on_;
  bool was_healthy_ = true;
  std::chrono::steady_clock::time_point last_probe_{};
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started when everything it uses exists
};

}  // namespace gigent::engine
