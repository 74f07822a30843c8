#include "common/status_registry.h"

#include "common/time_format.h"

namespace gigent {

void StatusRegistry::set_state(const std::string& loop, const std::string& state) {
  std::lock_guard lock(mutex_);
  loops_[loop].state = state;
}

void StatusRegistry::record_success(const std::string& loop) {
  std::lock_guard lock(mutex_);
  auto& s = loops_[loop];
  s.last_success = std::chrono::system_clock::now();
  s.failing_since.reset();
  s.successes++;
}

void StatusRegistry::record_failure(const std::string& loop, const std::string& error) {
  std::lock_guard lock(mutex_);
  auto& s = loops_[loop];
  s.last_failure = std::chrono::system_clock::now();
  if (!s.failing_since) s.failing_since = s.last_failure;
  s.last_error = error;
  s.failures++;
}

void StatusRegistry::set_problems(const std::string& loop, std::vector<std::string> problems) {
  std::lock_guard lock(mutex_);
  loops_[loop].problems = std::move(problems);
}

void StatusRegistry::expect_progress(const std::string& loop, std::optional<std::chrono::milliseconds> within) {
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(mutex_);
  auto& s = loops_[loop];
  s.last_progress = now;
  if (within)
    s.progress_deadline = now + *within;
  else
    s.progress_deadline.reset();
}

LoopStatus StatusRegistry::get(const std::string& loop) const {
  std::lock_guard lock(mutex_);
  auto it = loops_.find(loop);
  return it == loops_.end() ? LoopStatus{} : it->second;
}

nlohmann::json StatusRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, s] : loops_) {
    out[name] = {
        {"state", s.state},
        {"last_success", s.last_success ? nlohmann::json(iso8601(*s.last_success)) : nlohmann::json(nullptr)},
        {"last_failure", s.last_failure ? nlohmann::json(iso8601(*s.last_failure)) : nlohmann::json(nullptr)},
        {"last_error", s.last_error},
        {"successes", s.successes},
        {"failures", s.failures},
        {"problems", s.problems},
    };
  }
  return out;
}

std::string failure_message(const std::string& what, const std::string& error, std::chrono::milliseconds retry_in,
                            const std::optional<std::chrono::system_clock::time_point>& last_success) {
  std::string line = what + " failed: " + error + "; retry in " + human_duration(retry_in) + "; ";
  if (last_success) {
    auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() - *last_success);
    line += "last success " + human_duration(ago) + " ago";
  } else {
    line += "no success yet";
  }
  return line;
}

}  // namespace gigent
