#include "engine/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>

#include "common/fs.h"
#include "common/log.h"

namespace gigent::engine {

LockFile::~LockFile() {
  release();
}

void LockFile::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

LockFile::Result LockFile::acquire(const std::string& path, const std::string& config_path, bool replicas) {
  auto log = log::get("engine");
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    // Not "already running": the directory is read-only, full or not ours.
    log->error(
        "cannot create the lock file {}: {}; the runtime keeps its lock, journal and credentials next to "
        "the config, so that directory must be writable",
        path, errno_text(errno));
    return Result::CannotOpen;
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (replicas) return Result::Acquired;
    std::string holder = "another process";
    char buf[32] = {};
    if (::pread(fd_, buf, sizeof buf - 1, 0) > 0) holder = "pid " + std::string(buf);
    log->error(
        "another gigent-runtime ({}) is already running for {}; stop it first, or set "
        "runtime.allow_replicas: true to run several replicas on purpose",
        holder, config_path);
    return Result::HeldByAnother;
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only a hint for the message above: the lock itself holds.
  }
  return Result::Acquired;
}

bool lock_is_held(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  if (!held) ::flock(fd, LOCK_UN);
  ::close(fd);
  return held;
}

}  // namespace gigent::engine
