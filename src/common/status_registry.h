#pragma once
// Every loop (heartbeat, poller, workers) reports what it is doing here; the
// daemon's state file, and so `gigent-runtime status`, read it.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gigent {

struct LoopStatus {
  std::string state = "starting";  // "sleeping", "polling", "sending", "stopped", ...
  std::optional<std::chrono::system_clock::time_point> last_success;
  std::optional<std::chrono::system_clock::time_point> last_failure;
  std::string last_error;
  long long successes = 0;
  long long failures = 0;
  std::vector<std::string> problems;  // standing ones, e.g. orders the poller cannot read
  // The first failure since the last success (cleared by a success): how long
  // the loop has been failing, for /healthz.
  std::optional<std::chrono::system_clock::time_point> failing_since;
  // When the loop last said what it does next and how long that may take
  // (expect_progress); a loop past its deadline is stuck.
  std::optional<std::chrono::system_clock::time_point> progress_deadline;
  std::optional<std::chrono::system_clock::time_point> last_progress;
};

class StatusRegistry {
 public:
  void set_state(const std::string& loop, const std::string& state);
  void record_success(const std::string& loop);
  void record_failure(const std::string& loop, const std::string& error);
  // Replaces the loop's standing problems (an empty list clears them).
  void set_problems(const std::string& loop, std::vector<std::string> problems);
  // The loop made progress and its next step ends within `within`; nullopt:
  // it now waits for something with no deadline of its own (a free worker).
  void expect_progress(const std::string& loop, std::optional<std::chrono::milliseconds> within);
  LoopStatus get(const std::string& loop) const;
  nlohmann::json snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, LoopStatus> loops_;
};

// "heartbeat failed: connection refused; retry in 30 s; last success 2 min ago"
std::string failure_message(const std::string& what, const std::string& error, std::chrono::milliseconds retry_in,
                            const std::optional<std::chrono::system_clock::time_point>& last_success);

}  // namespace gigent
