#include "engine/worker_pool.h"

#include "common/log.h"

namespace gigent::engine {

SharedWorkers::SharedWorkers(int threads) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      std::unique_lock lock(mutex_);
      while (true) {
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping with nothing left
        auto [job, then] = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
        lock.unlock();
        job();
        lock.lock();
        --running_;
        if (!then) continue;
        lock.unlock();
        then();
        lock.lock();
      }
    });
}

SharedWorkers::~SharedWorkers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void SharedWorkers::post(std::function<void()> job, std::function<void()> then) {
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(job), std::move(then));
  }
  ready_.notify_one();
}

int SharedWorkers::busy() const {
  std::lock_guard lock(mutex_);
  return running_ + static_cast<int>(queue_.size());
}

WorkerPool::WorkerPool(int size) : size_(size) {
  for (int i = 0; i < size; ++i) threads_.emplace_back([this] { worker(); });
}

WorkerPool::WorkerPool(int size, SharedWorkers& shared) : size_(size), shared_(&shared) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
  // A lane's jobs hold `this`: they must be over before it goes.
  std::unique_lock lock(mutex_);
  slot_free_.wait(lock, [this] { return in_flight_.empty(); });
}

bool WorkerPool::try_submit(const std::string& order_id, std::function<void()> job) {
  std::function<void()> for_shared;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_ || in_flight_.count(order_id) || static_cast<int>(in_flight_.size()) >= size_) return false;
    in_flight_.insert(order_id);
    if (shared_)
      for_shared = std::move(job);
    else
      queue_.emplace_back(order_id, std::move(job));
  }
  if (shared_) {
    // A shared thread works for many agents: its lines name the one it works for now.
    shared_->post(
        [job = std::move(for_shared), agent = log::current_agent()] {
          const log::AgentScope scope(agent);
          job();
        },
        // After the thread counts as free again: whoever the freed slot wakes
        // must find room in the shared pool too.
        [this, order_id] { finished(order_id); });
    return true;
  }
  work_ready_.notify_one();
  return true;
}

bool WorkerPool::has_room() const {
  if (shared_ && shared_->busy() >= shared_->size()) return false;
  std::lock_guard lock(mutex_);
  return static_cast<int>(in_flight_.size()) < size_;
}

void WorkerPool::on_slot_free(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_slot_free_ = std::move(callback);
}

void WorkerPool::finished(const std::string& order_id) {
  std::function<void()> callback;
  {
    std::lock_guard lock(mutex_);
    in_flight_.erase(order_id);
    callback = on_slot_free_;
    // Notified under the lock: a lane's destructor may be waiting for this
    // very erase, and must not free the condition variable before it is signalled.
    slot_free_.notify_all();
  }
  if (callback) callback();
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
    finished(item.first);
  }
}

}  // namespace gigent::engine
