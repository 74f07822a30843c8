// The HTTP server's defences against clients that hold connections: the
// connection cap (which connection is closed to make room, which never is) and
// the header and body deadlines for slow senders. Real sockets on loopback;
// every wait has a generous safety bound and asserts on what the server did
// (closed, answered), never on how long it took.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/server.h"

using namespace gigent;

namespace {

constexpr auto kSafety = std::chrono::seconds(30);  // only so that a broken server fails instead of hanging

// A raw client socket: it sends exactly what a test says, and tells whether
// the server closed it.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  void send_text(const std::string& text) const { ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL); }

  // Reads until the server closes the connection (true) or `bound` passes
  // (false). What was read is kept in received().
  bool wait_closed(std::chrono::milliseconds bound = kSafety) {
    auto end = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < end) {
      if (read_some(100) == 0) return true;
    }
    return false;
  }
  // True while the server keeps the connection open: nothing to read, no EOF.
  bool open_now() { return read_some(0) < 0; }
  // Reads until `text` appears or the safety bound passes.
  bool wait_for(const std::string& text) {
    auto end = std::chrono::steady_clock::now() + kSafety;
    while (received_.find(text) == std::string::npos && std::chrono::steady_clock::now() < end)
      if (read_some(100) == 0) break;
    return received_.find(text) != std::string::npos;
  }
  const std::string& received() const { return received_; }

 private:
  // 0: closed by the peer; >0: bytes read; <0: nothing yet.
  int read_some(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return -1;
    char buffer[4096];
    ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      received_.append(buffer, static_cast<std::size_t>(n));
      return static_cast<int>(n);
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
    return 0;  // EOF or reset: closed
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

// Answers "/park" only when release() is called; everything else at once
// with the size of the body it received.
class ParkingServer {
 public:
  explicit ParkingServer(http::ServerOptions options)
      : server_(std::move(options), [this](http::Request&& request, http::Reply reply) {
          handled_.fetch_add(1);
          if (request.path == "/park") {
            std::lock_guard lock(mutex_);
            parked_.push_back(std::move(reply));
            changed_.notify_all();
            return;
          }
          http::Response response;
          response.body = "got " + std::to_string(request.body.size());
          reply(std::move(response));
        }) {
    server_.start();
  }
  ~ParkingServer() {
    {
      std::lock_guard lock(mutex_);
      parked_.clear();
    }
    server_.stop();
  }

  http::Server& server() { return server_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server_.port()) + path; }
  std::uint16_t port() const { return server_.port(); }
  int handled() const { return handled_.load(); }

  bool wait_parked(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kSafety, [&] { return parked_.size() >= n; });
  }
  void release_all(const std::string& body) {
    std::vector<http::Reply> replies;
    {
      std::lock_guard lock(mutex_);
      replies.swap(parked_);
    }
    for (auto& reply : replies) {
      http::Response response;
      response.body = body;
      reply(std::move(response));
    }
  }
  // Waits (bounded) until the server counts `n` open connections.
  bool wait_open(std::size_t n) {
    auto end = std::chrono::steady_clock::now() + kSafety;
    while (server_.open_connections() != n) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<http::Reply> parked_;
  std::atomic<int> handled_{0};
  http::Server server_;
};

http::ClientResult get(const std::string& url) {
  http::Client client;
  http::ClientRequest request;
  request.url = url;
  request.total_timeout = kSafety;
  return client.perform(request);
}

}  // namespace

TEST(HttpLimits, TheCapDefaultsToTheDescriptorLimitLessTheReserve) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur == RLIM_INFINITY) GTEST_SKIP() << "no descriptor limit";
  EXPECT_EQ(http::default_max_connections(64), limit.rlim_cur - 64);
  ParkingServer server({});
  EXPECT_EQ(server.server().max_connections(), limit.rlim_cur - 64);
}

TEST(HttpLimits, AtTheCapTheIdlestKeepAliveIsClosedForANewConnection) {
  http::ServerOptions options;
  options.max_connections = 3;
  ParkingServer server(options);
  RawConnection oldest(server.port());
  ASSERT_TRUE(server.wait_open(1));
  RawConnection middle(server.port());
  ASSERT_TRUE(server.wait_open(2));
  RawConnection newest(server.port());
  ASSERT_TRUE(server.wait_open(3));

  auto result = get(server.url("/"));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.status, 200);
  EXPECT_TRUE(oldest.wait_closed());
  EXPECT_TRUE(middle.open_now());
  EXPECT_TRUE(newest.open_now());
}

TEST(HttpLimits, AParkedRequestIsNeverClosedToMakeRoom) {
  http::ServerOptions options;
  options.max_connections = 2;
  ParkingServer server(options);
  auto parked = std::async(std::launch::async, [&] { return get(server.url("/park")); });
  ASSERT_TRUE(server.wait_parked(1));
  // The idle one is younger than the parked request, and still the one closed.
  RawConnection idle(server.port());
  ASSERT_TRUE(server.wait_open(2));

  auto result = get(server.url("/now"));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.body, "got 0");
  EXPECT_TRUE(idle.wait_closed());

  server.release_all("parked and answered");
  auto answer = parked.get();
  ASSERT_TRUE(answer.ok()) << answer.error;
  EXPECT_EQ(answer.response.body, "parked and answered");
}

TEST(HttpLimits, WithEveryConnectionBusyANewOneIsServedOnceOneTurnsIdle) {
  http::ServerOptions options;
  options.max_connections = 1;
  ParkingServer server(options);
  // Two parked requests: the second connection is accepted over the cap (it
  // was already taken from the backlog), after which accepting waits.
  RawConnection first(server.port());
  first.send_text("GET /park HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(server.wait_parked(1));
  RawConnection second(server.port());
  second.send_text("GET /park HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(server.wait_parked(2));
  auto third = std::async(std::launch::async, [&] { return get(server.url("/now")); });
  // Answered, the parked connections stay open as idle keep-alives: none
  // closes, so only noticing that they turned idle lets the third in.
  server.release_all("released");
  ASSERT_TRUE(first.wait_for("released"));
  ASSERT_TRUE(second.wait_for("released"));
  auto result = third.get();
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.body, "got 0");
  EXPECT_EQ(server.handled(), 3);
}

TEST(HttpLimits, ABodyThatStallsIsClosedAfterTheGrace) {
  http::ServerOptions options;
  options.body_grace = std::chrono::milliseconds(300);
  options.body_min_rate = 1024;
  ParkingServer server(options);
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.connected());
  slow.send_text("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 1048576\r\n\r\n0123456789");
  EXPECT_TRUE(slow.wait_closed());
  EXPECT_EQ(slow.received(), "");  // closed without an answer: there is no request to answer
  EXPECT_EQ(server.handled(), 0);
}

TEST(HttpLimits, HeadersThatNeverEndAreClosedAfterTheHeaderTimeout) {
  http::ServerOptions options;
  options.header_timeout = std::chrono::milliseconds(300);
  ParkingServer server(options);
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.connected());
  slow.send_text("GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ");
  // One byte at a time, never the blank line that ends the headers.
  bool closed = false;
  auto end = std::chrono::steady_clock::now() + kSafety;
  while (!closed && std::chrono::steady_clock::now() < end) {
    slow.send_text("x");
    closed = slow.wait_closed(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(server.handled(), 0);
}

TEST(HttpLimits, AnIdleKeepAliveIsNotCutByTheHeaderTimeout) {
  http::ServerOptions options;
  options.header_timeout = std::chrono::milliseconds(100);
  ParkingServer server(options);
  RawConnection client(server.port());
  client.send_text("GET /a HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(client.wait_for("got 0"));
  // Five header timeouts between two requests: waiting for the next request
  // is under the idle timeout (120 s), not the header timeout.
  EXPECT_FALSE(client.wait_closed(std::chrono::milliseconds(500)));
  client.send_text("POST /b HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_TRUE(client.wait_for("got 3"));
  EXPECT_EQ(server.handled(), 2);
}

TEST(HttpLimits, ABodySentAboveTheMinimumRateIsNotCut) {
  http::ServerOptions options;
  options.body_grace = std::chrono::milliseconds(200);
  options.body_min_rate = 1000;
  ParkingServer server(options);
  RawConnection client(server.port());
  client.send_text("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n");
  // 500 bytes every 100 ms: five times the minimum, and past the grace.
  for (int i = 0; i < 10; ++i) {
    client.send_text(std::string(500, 'b'));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(client.wait_for("got 5000")) << client.received();
  EXPECT_TRUE(client.open_now());
}

TEST(HttpLimits, ExpectContinueGetsA100BeforeTheBody) {
  ParkingServer server({});
  RawConnection client(server.port());
  client.send_text("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(client.wait_for("HTTP/1.1 100 Continue\r\n\r\n"));
  client.send_text("hello");
  ASSERT_TRUE(client.wait_for("got 5"));
}
