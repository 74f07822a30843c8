#pragma once
// One daemon per config: an flock on .gigent-runtime.lock, held for the
// process's life. The holder's pid is written in, only to name it in the
// error a second daemon prints. `status` asks whether the lock is held.
#include <string>

namespace gigent::engine {

class LockFile {
 public:
  enum class Result { Acquired, HeldByAnother, CannotOpen };
  LockFile() = default;
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  // With `replicas` a lock held by another process is fine: replicas share
  // the config on purpose. Logs why when the lock is not acquired.
  Result acquire(const std::string& path, const std::string& config_path, bool replicas);
  // Lets another process run the config (an agent stopped in a process that goes on).
  void release();

 private:
  int fd_ = -1;
};

// True while some process holds the lock (a daemon runs for that config).
bool lock_is_held(const std::string& path);

}  // namespace gigent::engine
