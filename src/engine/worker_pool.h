#pragma once
// A fixed pool of max_concurrent_orders threads. The poller submits only when
// a slot is free, and an order id already in flight is refused, so no order
// is ever handed to two workers.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gigent::engine {

class WorkerPool {
 public:
  explicit WorkerPool(int size);
  ~WorkerPool();  // finishes queued jobs, joins

  // False when the order is already in flight or no slot is free.
  bool try_submit(const std::string& order_id, std::function<void()> job);
  // Waits until a slot is free or `should_stop` returns true (checked every 100 ms).
  void wait_for_free_slot(const std::function<bool()>& should_stop);
  bool in_flight(const std::string& order_id) const;
  std::vector<std::string> in_flight_ids() const;
  int busy() const;
  int size() const { return size_; }
  // Waits up to `timeout` for every job to finish; true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  void worker();
  int size_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable slot_free_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  std::set<std::string> in_flight_;
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gigent::engine
