#pragma once
// .gigent-state.json: what the daemon is doing, for `gigent-runtime status`.
// The engine builds each state as one snapshot; StateFile writes it
// atomically; StateFileWriter rewrites it in the background while the daemon
// serves orders.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace gigent::engine {

class StateFile {
 public:
  explicit StateFile(std::string path) : path_(std::move(path)) {}
  // Writes `state` unless it equals the last one written (updated_at aside)
  // less than a minute ago: an idle daemon does not rewrite and fsync an
  // identical file every tick, yet `status` sees it is alive. Thread-safe.
  void write(const nlohmann::json& state);

 private:
  std::string path_;
  std::mutex mutex_;
  std::string last_written_;
  std::chrono::steady_clock::time_point last_write_time_;
};

// A thread that writes snapshot() to the file every 2 s and soon after each
// request(), coalescing a burst of requests into one write. The snapshot
// function is called only on that thread, between construction and
// destruction: what it reads must outlive the writer.
class StateFileWriter {
 public:
  StateFileWriter(StateFile& file, std::function<nlohmann::json()> snapshot);
  ~StateFileWriter();  // stops and joins
  StateFileWriter(const StateFileWriter&) = delete;
  StateFileWriter& operator=(const StateFileWriter&) = delete;
  void request();

 private:
  void loop(const std::stop_token& stop);
  StateFile& file_;
  std::function<nlohmann::json()> snapshot_;
  std::mutex mutex_;
  std::condition_variable_any requested_cv_;
  bool requested_ = false;
  std::jthread thread_;  // last: started when everything it uses exists
};

}  // namespace gigent::engine
