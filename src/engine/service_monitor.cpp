#include "engine/service_monitor.h"

#include <algorithm>

#include "common/log.h"
#include "common/service_notify.h"

namespace gigent::engine {

namespace {
// A write (and fsync) every few seconds would cost more than it tells.
constexpr std::chrono::seconds kJournalProbeInterval{10};
constexpr std::chrono::milliseconds kMaxPeriod{10000};
}  // namespace

std::chrono::milliseconds monitor_period(std::optional<std::chrono::microseconds> watchdog_timeout) {
  if (!watchdog_timeout) return kMaxPeriod;
  auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_timeout / 2);
  return std::clamp(half, std::chrono::milliseconds(100), kMaxPeriod);
}

bool watchdog_may_ping(const HealthReport& report, bool draining) {
  return std::all_of(report.checks.begin(), report.checks.end(),
                     [&](const HealthCheck& c) { return c.ok || !c.restart_helps || (draining && c.name == "boot"); });
}

ServiceMonitor::ServiceMonitor(MonitorHooks hooks)
    : hooks_(std::move(hooks)),
      period_(monitor_period(service::watchdog_timeout())),
      watchdog_on_(service::watchdog_timeout().has_value()),
      thread_([this](const std::stop_token& stop) { loop(stop); }) {}

ServiceMonitor::~ServiceMonitor() {
  thread_.request_stop();
  thread_.join();
}

void ServiceMonitor::loop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    try {
      tick();
    } catch (const std::exception& e) {  // a report that failed must not end the daemon
      log::get("engine")->warn("health monitor: {}", e.what());
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, period_, [] { return false; });
  }
}

void ServiceMonitor::tick() {
  auto log = log::get("engine");
  const auto now = std::chrono::steady_clock::now();
  if (now - last_probe_ >= kJournalProbeInterval) {
    hooks_.probe_journal();
    last_probe_ = now;
  }
  const HealthReport report = hooks_.health();
  const bool draining = hooks_.draining();
  if (watchdog_on_ && watchdog_may_ping(report, draining)) service::notify_watchdog();
  const bool healthy = report.ok();
  if (was_healthy_ && !healthy && !draining) {
    std::string failing = report.text();
    if (!failing.empty() && failing.back() == '\n') failing.pop_back();
    std::replace(failing.begin(), failing.end(), '\n', ';');
    log->warn("unhealthy{}: {}", watchdog_on_ ? " (no watchdog pings until it recovers)" : "", failing);
  } else if (!was_healthy_ && healthy) {
    log->info("healthy again");
  }
  was_healthy_ = healthy;
  if (draining) return;  // the drain sets its own STATUS= line
  std::string line = hooks_.activity();
  if (!healthy) {
    std::string first = report.text();
    line = "unhealthy: " + first.substr(0, first.find('\n')) + "; " + line;
  }
  service::notify_status(line);
}

}  // namespace gigent::engine
