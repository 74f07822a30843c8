#include "support/process.h"

#include "support/test_database.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gigent::testing {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string build_path(const std::string& binary_name) {
  return std::string(GIGENT_BUILD_DIR) + "/" + binary_name;
}
std::string source_path(const std::string& relative) {
  return std::string(GIGENT_SOURCE_DIR) + "/" + relative;
}

std::uint16_t free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gigent-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ChildProcess::ChildProcess(const std::string& binary, const SpawnOptions& options, const std::string& log_dir) {
  static int counter = 0;
  std::string base = log_dir + "/proc-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  out_path_ = base + ".out";
  err_path_ = base + ".err";

  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& k : options.unset_env) env.erase(k);
  for (auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);

  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::setpgid(0, 0);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    std::vector<char*> argv, envp;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
}

std::string ChildProcess::stdout_text() const {
  return slurp(out_path_);
}
std::string ChildProcess::stderr_text() const {
  return slurp(err_path_);
}

std::optional<std::string> ChildProcess::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (const std::string& text : {stdout_text(), stderr_text()}) {
      auto pos = text.find(needle);
      if (pos != std::string::npos) {
        auto start = text.rfind('\n', pos);
        start = start == std::string::npos ? 0 : start + 1;
        auto end = text.find('\n', pos);
        return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      }
    }
    if (!running() || std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
}

bool ChildProcess::running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string db_path)
    : database_(db_path.empty() ? std::make_unique<TestDatabase>(dir_.path()) : nullptr),
      extra_args_(std::move(extra_args)),
      db_path_(db_path.empty() ? database_->db() : db_path) {
  start();
}

ServerProcess::ServerProcess(std::uint16_t port, bool start_now, std::vector<std::string> extra_args)
    : database_(std::make_unique<TestDatabase>(dir_.path())),
      extra_args_(std::move(extra_args)),
      db_path_(database_->db()),
      port_(port) {
  url_ = "http://127.0.0.1:" + std::to_string(port);
  if (start_now) start();
}

void ServerProcess::start() {
  SpawnOptions options;
  options.args = {"--host", "127.0.0.1", "--port", std::to_string(port_), "--db", db_path_};
  options.args.insert(options.args.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<ChildProcess>(build_path("gigent-server"), options, dir_.path());
  auto line = process_->wait_for_output("gigent-server listening on http://", std::chrono::seconds(20));
  if (!line) throw std::runtime_error("gigent-server did not start: " + process_->output());
  auto at = line->find("http://");
  url_ = line->substr(at);
  while (!url_.empty() && (url_.back() == '\r' || url_.back() == ' ')) url_.pop_back();
  port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1)));
}

ServerProcess::~ServerProcess() {
  process_.reset();  // SIGKILLed before its database is dropped
}

void ServerProcess::stop() {
  if (process_ && process_->running()) {
    process_->signal(SIGTERM);
    if (!process_->wait_exit(std::chrono::seconds(10))) process_->signal(SIGKILL);
    process_->wait_exit(std::chrono::seconds(5));
  }
}

void ServerProcess::restart() {
  stop();
  start();
}

}  // namespace gigent::testing
