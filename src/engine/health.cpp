#include "engine/health.h"

#include <fmt/format.h>

#include "common/time_format.h"
#include "engine/journal.h"

namespace gigent::engine {

namespace {

using Clock = std::chrono::system_clock;

std::chrono::milliseconds since(Clock::time_point now, Clock::time_point then) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - then);
}

HealthCheck boot_check(const HealthInputs& in) {
  HealthCheck check{"boot", in.phase == "running", "", std::nullopt};
  if (check.ok) return check;
  check.since = in.phase_since;
  if (in.phase == "draining")
    check.detail = "shutting down: no new orders";
  else if (in.phase == "stopped")
    check.detail = "stopped";
  else
    check.detail = "booting (registration, gigs, journal) is not done";
  return check;
}

// A heartbeat must have succeeded within two intervals: one missed beat is
// tolerated, two mean the marketplace shows the agent offline.
HealthCheck heartbeat_check(const HealthInputs& in) {
  HealthCheck check{"heartbeat", true, "", std::nullopt};
  if (!in.heartbeat_enabled) {
    check.detail = "heartbeats are off (heartbeat.enabled: false)";
    return check;
  }
  if (!in.heartbeat_started) {
    check.detail = "not started yet";
    return check;
  }
  const auto window = 2 * in.heartbeat_interval;
  const Clock::time_point reference = in.heartbeat.last_success.value_or(*in.heartbeat_started);
  if (in.now - reference <= window) return check;
  check.ok = false;
  check.since = in.heartbeat.failing_since.value_or(reference + window);
  // Still failing attempts within the window: the loop is alive, the backend is not.
  check.restart_helps = !(in.heartbeat.last_failure && in.now - *in.heartbeat.last_failure <= window);
  check.detail = fmt::format("no heartbeat accepted for {} (interval {}){}", human_duration(since(in.now, reference)),
                             human_duration(in.heartbeat_interval),
                             in.heartbeat.last_error.empty() ? "" : "; last error: " + in.heartbeat.last_error);
  return check;
}

HealthCheck poll_check(const HealthInputs& in) {
  HealthCheck check{"poll_loop", true, "", std::nullopt};
  const auto& deadline = in.poller.progress_deadline;
  if (!deadline || in.now <= *deadline) return check;
  check.ok = false;
  check.since = *deadline;
  check.detail =
      fmt::format("no progress for {} (stuck while \"{}\")",
                  human_duration(since(in.now, in.poller.last_progress.value_or(*deadline))), in.poller.state);
  return check;
}

HealthCheck journal_check(const HealthInputs& in) {
  HealthCheck check{"journal", in.journal.ok, "", std::nullopt};
  if (check.ok) return check;
  check.since = in.journal.failing_since;
  check.detail = "not writable: " + in.journal.error;
  return check;
}

}  // namespace

HealthReport evaluate_health(const HealthInputs& in) {
  return {{boot_check(in), heartbeat_check(in), poll_check(in), journal_check(in)}};
}

void probe_journal(Journal& journal, JournalProbe& probe, std::mutex& mutex) {
  std::string error;
  try {
    journal.probe_write();
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard lock(mutex);
  if (error.empty()) {
    probe = {};
    return;
  }
  if (probe.ok) probe.failing_since = std::chrono::system_clock::now();
  probe.ok = false;
  probe.error = error;
}

}  // namespace gigent::engine
