#pragma once
// A few threads that run blocking work (SQLite) off the HTTP server's I/O
// threads, so a statement waiting on the database lock never stalls the
// event loop that answers every other connection, timers included.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gigent::server {

class BlockingPool {
 public:
  // `name` labels the threads (pthread name, at most 15 characters shown).
  BlockingPool(std::string name, std::size_t threads);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `task`, which must not throw; false (and `task` untouched) once
  // the pool is stopping.
  bool post(std::function<void()>& task);
  bool post(std::function<void()>&& task) { return post(task); }
  // Lets the threads run what is queued, then joins them. Idempotent; tasks
  // posted afterwards are refused. Never called from one of the pool's threads.
  void stop();

 private:
  void run();

  std::string name_;
  std::mutex stop_mutex_;  // serialises stop() with itself
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gigent::server
