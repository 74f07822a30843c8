#pragma once
// Real child processes for integration tests: spawn a binary with arguments
// and environment, capture its stdout and stderr to files, wait for a line,
// send signals, collect the exit status.
#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gigent::testing {

class TestDatabase;

// A fresh temporary directory, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct SpawnOptions {
  std::vector<std::string> args;           // argv[1..]
  std::map<std::string, std::string> env;  // added to (or overriding) the parent's
  std::vector<std::string> unset_env;      // removed from the child's environment
  std::string cwd;                         // empty: inherit
};

class ChildProcess {
 public:
  // `binary` is a path; stdout/stderr go to files under `log_dir` (a TempDir path).
  ChildProcess(const std::string& binary, const SpawnOptions& options, const std::string& log_dir);
  ~ChildProcess();  // SIGKILLs and reaps the child if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until stdout+stderr contain `needle`; returns the matching line or nullopt on timeout/exit.
  std::optional<std::string> wait_for_output(const std::string& needle, std::chrono::milliseconds timeout);
  void signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed) or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  std::string stdout_text() const;
  std::string stderr_text() const;
  std::string output() const { return stdout_text() + stderr_text(); }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

// A running gigent-server on 127.0.0.1 with a fresh database: a file in its
// own temp dir, or a new PostgreSQL database when the suite runs against
// PostgreSQL (test_database.h). Waits for "gigent-server listening on
// http://HOST:PORT".
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {}, std::string db_path = "");
  ~ServerProcess();
  // On a fixed port (from free_tcp_port()), for "the backend comes up later":
  // with start_now false nothing listens on `port` until start().
  ServerProcess(std::uint16_t port, bool start_now, std::vector<std::string> extra_args = {});
  // Starts it (when constructed with start_now false, or after stop()).
  void start();
  bool running() { return process_ && process_->running(); }
  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }
  const std::string& db_path() const { return db_path_; }
  ChildProcess& process() { return *process_; }
  // Stops it (SIGTERM) and starts it again on the same port and database.
  void restart();
  void stop();

 private:
  TempDir dir_;
  std::unique_ptr<TestDatabase> database_;  // outlives the process, which is stopped first
  std::vector<std::string> extra_args_;
  std::string db_path_;
  std::string url_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

std::string build_path(const std::string& binary_name);  // e.g. build_path("gigent-server")
std::string source_path(const std::string& relative);
std::string slurp(const std::string& path);
// A loopback TCP port that was free a moment ago (bound to port 0, then closed).
std::uint16_t free_tcp_port();

}  // namespace gigent::testing
