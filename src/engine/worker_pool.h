#pragma once
// A pool of max_concurrent_orders slots. The poller submits only when a slot
// is free, and an order id already in flight is refused, so no order is ever
// handed to two workers. A daemon's pool has a thread per slot; in a process
// running many agents each agent's pool is a lane over one SharedWorkers, so
// 1,000 agents need not keep 1,000s of idle threads.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gigent::engine {

// Threads that run the jobs of many WorkerPools (lanes), in submission order.
class SharedWorkers {
 public:
  explicit SharedWorkers(int threads);
  ~SharedWorkers();  // finishes queued jobs, joins
  SharedWorkers(const SharedWorkers&) = delete;
  SharedWorkers& operator=(const SharedWorkers&) = delete;
  // `then` (if any) runs on the same thread once the thread counts as free.
  void post(std::function<void()> job, std::function<void()> then = nullptr);
  int size() const { return static_cast<int>(threads_.size()); }
  // Jobs queued or running.
  int busy() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::pair<std::function<void()>, std::function<void()>>> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class WorkerPool {
 public:
  explicit WorkerPool(int size);
  // A lane of `size` slots whose jobs run on `shared`, which must outlive it.
  WorkerPool(int size, SharedWorkers& shared);
  ~WorkerPool();  // finishes queued jobs, joins (a lane waits for its jobs)
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the order is already in flight or no slot is free.
  bool try_submit(const std::string& order_id, std::function<void()> job);
  // Waits until a slot is free or `should_stop` returns true (checked every 100 ms).
  void wait_for_free_slot(const std::function<bool()>& should_stop);
  bool in_flight(const std::string& order_id) const;
  std::vector<std::string> in_flight_ids() const;
  int busy() const;
  int size() const { return size_; }
  // A slot is free here and, for a lane, a shared thread is too: a job
  // submitted now starts at once.
  bool has_room() const;
  // Called on the worker thread after each job leaves its slot (the process
  // running many agents uses it to give a waiting agent its turn).
  void on_slot_free(std::function<void()> callback);
  // Waits up to `timeout` for every job to finish; true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  void worker();
  void finished(const std::string& order_id);
  int size_;
  SharedWorkers* shared_ = nullptr;
  std::function<void()> on_slot_free_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable slot_free_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  std::set<std::string> in_flight_;
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gigent::engine
