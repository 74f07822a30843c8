#include "engine/state_file.h"

#include "common/fs.h"
#include "common/log.h"

namespace gigent::engine {

void StateFile::write(const nlohmann::json& state) {
  nlohmann::json compared = state;
  compared.erase("updated_at");
  std::string content = compared.dump();
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (content == last_written_ && now - last_write_time_ < std::chrono::seconds(60)) return;
  try {
    // No fsync: the file is rewritten every minute and at every change, and
    // a fleet of 1,000 agents would spend most of its idle time syncing it.
    atomic_write_file(path_, state.dump(2) + "\n", 0644, Durability::Cached);
    last_written_ = std::move(content);
    last_write_time_ = now;
  } catch (const std::exception& e) {
    log::get("engine")->warn("cannot write the state file: {}", e.what());
  }
}

StateFileWriter::StateFileWriter(StateFile& file, std::function<nlohmann::json()> snapshot)
    : file_(file), snapshot_(std::move(snapshot)), thread_([this](const std::stop_token& stop) { loop(stop); }) {}

StateFileWriter::~StateFileWriter() {
  thread_.request_stop();  // wakes the wait below at once
  thread_.join();
}

void StateFileWriter::request() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  requested_cv_.notify_one();
}

void StateFileWriter::loop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    try {
      file_.write(snapshot_());
    } catch (const std::exception& e) {  // `status` goes stale; the daemon goes on serving orders
      log::get("engine")->warn("cannot gather the state for the state file: {}", e.what());
    }
    std::unique_lock lock(mutex_);
    requested_cv_.wait_for(lock, stop, std::chrono::seconds(2), [this] { return requested_; });
    requested_ = false;
  }
}

}  // namespace gigent::engine
