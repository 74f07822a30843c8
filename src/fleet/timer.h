#pragma once
// One thread that calls functions at their time: the periodic steps of every
// agent in the process (heartbeats, journal checks, state writes) without a
// thread or a sleeping loop per agent. Callbacks must be quick; anything
// that talks to the network is posted to a pool from them.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace gigent::fleet {

class Timer {
 public:
  using Clock = std::chrono::steady_clock;
  Timer();
  ~Timer();  // drops what is left, joins
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void at(Clock::time_point when, std::function<void()> callback);
  void after(std::chrono::milliseconds delay, std::function<void()> callback) {
    at(Clock::now() + delay, std::move(callback));
  }
  std::size_t pending() const;

 private:
  struct Entry {
    Clock::time_point when;
    unsigned long long order;  // equal times run in the order they were set
    std::function<void()> callback;
    bool operator>(const Entry& other) const { return when != other.when ? when > other.when : order > other.order; }
  };
  void loop();
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  unsigned long long next_order_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace gigent::fleet
