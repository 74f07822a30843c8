#pragma once
// One cancellation signal for shutdown, shared by every loop, and an injectable
// clock and sleeper so retry schedules are tested without waiting. The delays
// themselves are in common/backoff.h.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace gigent {

class Cancellation {
 public:
  Cancellation() = default;
  ~Cancellation();
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  void cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Waits up to `d`; returns false when cancelled before or during the wait.
  bool wait_for(std::chrono::milliseconds d) const;
  // A file descriptor that becomes readable when cancel() is called, so a
  // poll() on sockets (libcurl's) wakes at once. Made on first use; -1 if the
  // system refuses one (callers then notice within their poll timeout).
  int wake_fd() const;

 private:
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  mutable int wake_fd_ = -1;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() const = 0;
  virtual std::chrono::system_clock::time_point wall() const = 0;
};

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Returns false when `cancel` fired before the time was up.
  virtual bool sleep_for(std::chrono::milliseconds d, const Cancellation& cancel) = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall() const override { return std::chrono::system_clock::now(); }
  static SystemClock& instance();
};

class RealSleeper final : public Sleeper {
 public:
  bool sleep_for(std::chrono::milliseconds d, const Cancellation& cancel) override { return cancel.wait_for(d); }
  static RealSleeper& instance();
};

}  // namespace gigent
