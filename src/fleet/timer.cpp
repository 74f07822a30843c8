#include "fleet/timer.h"

#include "common/log.h"

namespace gigent::fleet {

Timer::Timer() : thread_([this] { loop(); }) {}

Timer::~Timer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Timer::at(Clock::time_point when, std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    queue_.push({when, next_order_++, std::move(callback)});
  }
  changed_.notify_all();
}

std::size_t Timer::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Timer::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      changed_.wait(lock);
      continue;
    }
    if (Clock::now() < queue_.top().when) {
      changed_.wait_until(lock, queue_.top().when);
      continue;  // an earlier entry may have come meanwhile
    }
    auto callback = queue_.top().callback;
    queue_.pop();
    lock.unlock();
    try {
      callback();
    } catch (const std::exception& e) {  // one agent's step never stops the others'
      log::get("fleet")->error("a scheduled step failed: {}", e.what());
    }
    lock.lock();
  }
}

}  // namespace gigent::fleet
