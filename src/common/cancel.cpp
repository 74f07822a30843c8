#include "common/cancel.h"

#include <sys/eventfd.h>
#include <unistd.h>
#include <cstdint>

namespace gigent {

Cancellation::~Cancellation() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Cancellation::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_.store(true, std::memory_order_release);
    if (wake_fd_ >= 0) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    }
  }
  cv_.notify_all();
}

int Cancellation::wake_fd() const {
  std::lock_guard lock(mutex_);
  if (wake_fd_ < 0) {
    wake_fd_ = ::eventfd(cancelled_.load() ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  return wake_fd_;
}

bool Cancellation::wait_for(std::chrono::milliseconds d) const {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, d, [this] { return cancelled_.load(std::memory_order_acquire); });
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

RealSleeper& RealSleeper::instance() {
  static RealSleeper sleeper;
  return sleeper;
}

}  // namespace gigent
