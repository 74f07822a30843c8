#pragma once
// A wall clock that reads the time from a file at every call, so an
// integration test can move a real daemon process to another day without
// waiting. Only used when GIGENT_TEST_CLOCK_FILE names such a file (see
// daemon_wall_clock()); production reads the system clock.
#include <string>

#include "common/cancel.h"

namespace gigent {

class FileClock final : public Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  // The unix time (whole seconds) the file holds; the system's time when the
  // file is missing or holds no number, so a test that has not written it yet
  // sees ordinary time.
  std::chrono::system_clock::time_point wall() const override;

 private:
  std::string path_;
};

// The clock the daemon's day-bound decisions (the spend budget) read: a
// FileClock when GIGENT_TEST_CLOCK_FILE is set, else SystemClock.
Clock& daemon_wall_clock();

}  // namespace gigent
