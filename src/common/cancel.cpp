#include "common/cancel.h"

#include <sys/eventfd.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

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

double random_unit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::chrono::milliseconds backoff_with_jitter(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                              int retry, double jitter) {
  long long delay = initial.count();
  for (int i = 0; i < retry && delay < max.count(); ++i) delay *= 2;
  delay = std::min<long long>(delay, max.count());
  if (!(jitter >= 0.0)) jitter = 0.0;  // also catches NaN
  if (jitter > 1.0) jitter = 1.0;
  return std::chrono::milliseconds(std::llround(static_cast<double>(delay) * (1.0 - 0.25 * jitter)));
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d, double fraction) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(1.0 - fraction, 1.0 + fraction);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(d.count()) * dist(rng)));
}

std::string human_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  long long s = ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

}  // namespace gigent
