#pragma once
// The daemon's health, as GET /healthz and the systemd watchdog see it: boot
// done, heartbeats accepted lately, the poll loop within its own deadline, the
// journal writable. A pure function of what the loops reported, so each rule
// is tested without waiting.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "common/health.h"
#include "common/status_registry.h"

namespace gigent::engine {

// The last result of the journal's write probe.
struct JournalProbe {
  bool ok = true;
  std::string error;
  std::optional<std::chrono::system_clock::time_point> failing_since;
};

struct HealthInputs {
  std::chrono::system_clock::time_point now;
  std::string phase;  // "booting", "running", "draining", "stopped"
  std::chrono::system_clock::time_point phase_since;
  bool heartbeat_enabled = true;
  std::chrono::milliseconds heartbeat_interval{30000};
  // When the heartbeat loop started; nullopt before (during boot).
  std::optional<std::chrono::system_clock::time_point> heartbeat_started;
  LoopStatus heartbeat;
  LoopStatus poller;
  JournalProbe journal;
};

class Journal;

// Tries a write to the journal and records the outcome in `probe` (under
// `mutex`): a failure keeps the time it began.
void probe_journal(Journal& journal, JournalProbe& probe, std::mutex& mutex);

// Checks "boot", "heartbeat", "poll_loop" and "journal", in that order.
HealthReport evaluate_health(const HealthInputs& in);

}  // namespace gigent::engine
