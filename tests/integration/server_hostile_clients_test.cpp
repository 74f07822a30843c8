// The real gigent-server under a low descriptor limit (`ulimit -n` in a shell
// that then execs it), attacked with more idle connections than it has
// descriptors: it keeps answering normal requests, its store keeps working,
// and it does not log in a loop.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.h"
#include "support/process.h"

namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAddressSanitizer = true;
#else
constexpr bool kUnderAddressSanitizer = false;
#endif
#elif defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAddressSanitizer = true;
#else
constexpr bool kUnderAddressSanitizer = false;
#endif

using gigent::testing::ChildProcess;

constexpr int kDescriptorLimit = 128;
constexpr int kAttackers = 200;  // well beyond the limit

// gigent-server started by `sh -c 'ulimit -n N && exec gigent-server ...'`.
class LimitedServer {
 public:
  explicit LimitedServer(std::vector<std::string> extra_args) {
    gigent::testing::SpawnOptions options;
    options.args = {"-c",
                    "ulimit -n " + std::to_string(kDescriptorLimit) + " && exec \"$0\" \"$@\"",
                    gigent::testing::build_path("gigent-server"),
                    "--port",
                    "0",
                    "--db",
                    dir_.file("g.db"),
                    "--threads",
                    "1"};
    options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<ChildProcess>("/bin/sh", options, dir_.path());
    auto line = process_->wait_for_output("gigent-server listening on http://", std::chrono::seconds(20));
    if (!line) throw std::runtime_error("gigent-server did not start: " + process_->output());
    url_ = line->substr(line->find("http://"));
    while (!url_.empty() && (url_.back() == '\r' || url_.back() == ' ' || url_.back() == '\n')) url_.pop_back();
    port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1)));
  }
  ~LimitedServer() {
    process_->signal(SIGTERM);
    process_->wait_exit(std::chrono::seconds(10));
  }

  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }
  ChildProcess& process() { return *process_; }

  // Lines of the server's log that contain `text`.
  std::size_t log_lines_with(const std::string& text) const {
    std::istringstream lines(process_->stderr_text());
    std::size_t n = 0;
    for (std::string line; std::getline(lines, line);)
      if (line.find(text) != std::string::npos) ++n;
    return n;
  }

 private:
  gigent::testing::TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
  std::uint16_t port_ = 0;
};

// Connections that never send a byte; the server may close them.
class IdleConnections {
 public:
  IdleConnections(std::uint16_t port, int count) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    for (int i = 0; i < count; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      timeval timeout{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
        fds_.push_back(fd);
      else
        close(fd);
    }
  }
  ~IdleConnections() {
    for (int fd : fds_) close(fd);
  }
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;
  std::size_t opened() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
};

gigent::http::ClientResult call(const std::string& method, const std::string& url, const std::string& body = "") {
  gigent::http::Client client;
  gigent::http::ClientRequest request;
  request.method = method;
  request.url = url;
  request.body = body;
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.total_timeout = std::chrono::seconds(30);  // safety bound only: a stuck server fails instead of hanging
  return client.perform(request);
}

}  // namespace

TEST(ServerHostileClients, IdleConnectionsBeyondTheDescriptorLimitLeaveTheServerServing) {
  LimitedServer server({});
  IdleConnections attackers(server.port(), kAttackers);
  ASSERT_EQ(attackers.opened(), static_cast<std::size_t>(kAttackers));

  auto health = call("GET", server.url() + "/api/health");
  ASSERT_TRUE(health.ok()) << health.error;
  EXPECT_EQ(health.response.status, 200);
  // The store still has its descriptors: a write succeeds.
  auto registered = call("POST", server.url() + "/api/agents/register",
                         R"({"name":"under attack","owner_wallet":"0x00000000000000000000000000000000000000a1"})");
  ASSERT_TRUE(registered.ok()) << registered.error;
  EXPECT_EQ(registered.response.status, 201) << registered.response.body;

  // The cap is met by closing idle connections, not by running out of descriptors.
  EXPECT_EQ(server.log_lines_with("accept failed"), 0u) << server.process().stderr_text().substr(0, 2000);
  EXPECT_EQ(server.log_lines_with("connection cap"), 1u) << server.process().stderr_text().substr(0, 2000);
}

TEST(ServerHostileClients, OutOfDescriptorsTheServerBacksOffInsteadOfSpinning) {
  if (kUnderAddressSanitizer) {
    // With no descriptor left the sanitizer runtime itself breaks: the first
    // vptr check of a type probes memory through pipe(2), which fails with
    // EMFILE, so UBSan reports a false "invalid vptr" (in Boost's error
    // category, then in std::shared_ptr) and aborts the server. The Release
    // build runs this test.
    GTEST_SKIP() << "UBSan's vptr check needs a free descriptor; this test takes them all";
  }
  // A cap above the descriptor limit: accept itself runs out of descriptors.
  LimitedServer server({"--max-connections", "100000"});
  IdleConnections attackers(server.port(), kAttackers);
  ASSERT_EQ(attackers.opened(), static_cast<std::size_t>(kAttackers));

  auto health = call("GET", server.url() + "/api/health");
  ASSERT_TRUE(health.ok()) << health.error;
  EXPECT_EQ(health.response.status, 200);
  // One line when it starts (and at most one count per 10 s after), not one per attempt.
  auto failures = server.log_lines_with("accept failed");
  EXPECT_GE(failures, 1u);
  EXPECT_LE(failures, 2u) << server.process().stderr_text().substr(0, 2000);
  EXPECT_NE(server.process().stderr_text().find("ulimit -n"), std::string::npos);
  EXPECT_EQ(server.log_lines_with("connection cap"), 0u);
}

TEST(ServerHostileClients, SlowHeadersAreClosedAtTheHeaderTimeoutFlag) {
  LimitedServer server({"--header-timeout", "1"});
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  timeval timeout{30, 0};  // safety bound only
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string partial = "GET /api/health HTTP/1.1\r\nHost: test\r\nX-Never: ends";
  ASSERT_EQ(send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
  char buffer[256];
  EXPECT_EQ(recv(fd, buffer, sizeof buffer, 0), 0) << "the server should close the connection, not time out";
  close(fd);
  // The stream closes the socket when its deadline passes, before the server's handler logs why.
  EXPECT_TRUE(server.process().wait_for_output("request headers not complete within 1 s", std::chrono::seconds(10)))
      << server.process().stderr_text();
}
