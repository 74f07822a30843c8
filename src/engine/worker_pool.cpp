#include "engine/worker_pool.h"

namespace gigent::engine {

WorkerPool::WorkerPool(int size) : size_(size) {
  for (int i = 0; i < size; ++i) threads_.emplace_back([this] { worker(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkerPool::try_submit(const std::string& order_id, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_ || in_flight_.count(order_id) || static_cast<int>(in_flight_.size()) >= size_) return false;
    in_flight_.insert(order_id);
    queue_.emplace_back(order_id, std::move(job));
  }
  work_ready_.notify_one();
  return true;
}

void WorkerPool::wait_for_free_slot(const std::function<bool()>& should_stop) {
  std::unique_lock lock(mutex_);
  while (static_cast<int>(in_flight_.size()) >= size_ && !should_stop())
    slot_free_.wait_for(lock, std::chrono::milliseconds(100));
}

bool WorkerPool::in_flight(const std::string& order_id) const {
  std::lock_guard lock(mutex_);
  return in_flight_.count(order_id) > 0;
}

std::vector<std::string> WorkerPool::in_flight_ids() const {
  std::lock_guard lock(mutex_);
  return {in_flight_.begin(), in_flight_.end()};
}

int WorkerPool::busy() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(in_flight_.size());
}

bool WorkerPool::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return slot_free_.wait_for(lock, timeout, [this] { return in_flight_.empty(); });
}

void WorkerPool::worker() {
  while (true) {
    std::pair<std::string, std::function<void()>> item;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return shutting_down_ || !queue_.empty(); });
      if (queue_.empty()) return;  // shutting down with nothing left
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    item.second();
    {
      std::lock_guard lock(mutex_);
      in_flight_.erase(item.first);
    }
    slot_free_.notify_all();
  }
}

}  // namespace gigent::engine
