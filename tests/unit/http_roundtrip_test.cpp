// The HTTP layer both binaries stand on: a real Beast server on a loopback
// port and the libcurl client, talking over real sockets.
#include <gtest/gtest.h>

#include <thread>

#include "http/client.h"
#include "http/server.h"

using namespace gigent;

namespace {
http::ClientRequest get(const std::string& url) {
  http::ClientRequest r;
  r.url = url;
  return r;
}
}  // namespace

TEST(HttpRoundTrip, EchoesMethodPathQueryHeadersAndBody) {
  http::Server server({}, [](http::Request&& req, http::Reply reply) {
    http::Response res;
    res.body = req.method + "|" + req.path + "|" + req.query["a"] + "|" + req.header("x-api-key").value_or("-") + "|" +
               req.body;
    res.headers.push_back({"X-Test", "yes"});
    reply(std::move(res));
  });
  server.start();
  http::Client client;
  http::ClientRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/api/x%20y?a=b+c%26d";
  req.headers = {{"X-API-Key", "k1"}};
  req.body = R"({"n":1})";
  auto result = client.perform(req);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.status, 200);
  EXPECT_EQ(result.response.body, R"(POST|/api/x y|b c&d|k1|{"n":1})");
  EXPECT_EQ(result.response.header("x-test"), "yes");
}

// A target that is not a valid URI reference (a '%' not followed by two hex
// digits) is refused before any handler sees a guessed path or query.
TEST(HttpRoundTrip, MalformedTargetIsA400) {
  bool handled = false;
  http::Server server({}, [&handled](http::Request&&, http::Reply reply) {
    handled = true;
    reply(http::Response{});
  });
  server.start();
  http::Client client;
  auto result = client.perform(get("http://127.0.0.1:" + std::to_string(server.port()) + "/api/gigs?search=100%"));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.status, 400);
  EXPECT_NE(result.response.body.find("Malformed request target"), std::string::npos) << result.response.body;
  EXPECT_FALSE(handled);
}

TEST(HttpRoundTrip, UrlEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(http::url_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(http::url_encode("x y/z?&=%+"), "x%20y%2Fz%3F%26%3D%25%2B");
  EXPECT_EQ(http::url_encode("\xc3\xa9"), "%C3%A9");
}

TEST(HttpRoundTrip, KeepAliveReusesOneConnection) {
  http::Server server({}, [](http::Request&&, http::Reply reply) { reply(http::Response{}); });
  server.start();
  http::Client client;
  auto url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client.perform(get(url)).ok());
  EXPECT_EQ(server.open_connections(), 1u);
}

TEST(HttpRoundTrip, ReplyFromAnotherThreadLater) {
  http::Server server({}, [](http::Request&&, http::Reply reply) {
    std::thread([reply] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      http::Response res;
      res.status = 202;
      res.body = "late";
      reply(res);
    }).detach();
  });
  server.start();
  http::Client client;
  auto result = client.perform(get("http://127.0.0.1:" + std::to_string(server.port()) + "/"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.response.status, 202);
  EXPECT_EQ(result.response.body, "late");
}

TEST(HttpRoundTrip, TimerAnswersAParkedRequest) {
  http::Server* self = nullptr;
  http::Server server({}, [&self](http::Request&&, http::Reply reply) {
    self->run_after(std::chrono::milliseconds(30), [reply] { reply(http::Response{}); });
  });
  self = &server;
  server.start();
  http::Client client;
  EXPECT_TRUE(client.perform(get("http://127.0.0.1:" + std::to_string(server.port()) + "/")).ok());
}

TEST(HttpRoundTrip, DroppedReplyClosesTheConnection) {
  http::Server server({}, [](http::Request&&, http::Reply) {});
  server.start();
  http::Client client;
  auto result = client.perform(get("http://127.0.0.1:" + std::to_string(server.port()) + "/"));
  EXPECT_FALSE(result.ok());
}

TEST(HttpRoundTrip, OversizedBodyGets413WithJsonError) {
  http::ServerOptions options;
  options.body_limit = 1024;
  http::Server server(options, [](http::Request&&, http::Reply reply) { reply(http::Response{}); });
  server.start();
  http::Client client;
  http::ClientRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  req.body.assign(4096, 'x');
  auto result = client.perform(req);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.status, 413);
  EXPECT_NE(result.response.body.find("\"error\""), std::string::npos);
}

TEST(HttpRoundTrip, TruncatedBodyIsATransportError) {
  http::Server server({}, [](http::Request&&, http::Reply reply) {
    http::Response res;
    res.body = std::string(1000, 'a');
    res.truncate_body_at = 10;
    reply(res);
  });
  server.start();
  http::Client client;
  auto result = client.perform(get("http://127.0.0.1:" + std::to_string(server.port()) + "/"));
  EXPECT_FALSE(result.ok());
}

namespace {
// Never answers: keeps every reply until it goes away, then drops them (which
// closes those connections) so stopping does not wait for them.
class SilentServer {
 public:
  SilentServer() { server_.start(); }
  ~SilentServer() {
    {
      std::lock_guard lock(mutex_);
      parked_.clear();
    }
    server_.stop();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/"; }

 private:
  std::mutex mutex_;
  std::vector<http::Reply> parked_;
  http::Server server_{{}, [this](http::Request&&, http::Reply reply) {
                         std::lock_guard lock(mutex_);
                         parked_.push_back(std::move(reply));
                       }};
};
}  // namespace

TEST(HttpRoundTrip, TotalTimeoutCutsAHang) {
  SilentServer server;
  http::Client client;
  auto req = get(server.url());
  req.total_timeout = std::chrono::milliseconds(200);
  auto result = client.perform(req);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.timed_out);
}

TEST(HttpRoundTrip, CancellationAbortsATransferInFlight) {
  SilentServer server;
  Cancellation cancel;
  http::Client client(&cancel);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel.cancel();
  });
  auto result = client.perform(get(server.url()));
  canceller.join();
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.cancelled);
}

TEST(HttpRoundTrip, ConnectionRefusedIsAnError) {
  std::uint16_t closed_port = 0;
  {
    http::Server server({}, [](http::Request&&, http::Reply reply) { reply(http::Response{}); });
    server.start();
    closed_port = server.port();
  }  // stopped: nothing listens there now
  http::Client client;
  auto req = get("http://127.0.0.1:" + std::to_string(closed_port) + "/");
  auto result = client.perform(req);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.error.empty());
}

TEST(HttpRoundTrip, StopLetsARequestInFlightFinish) {
  http::Server server({}, [](http::Request&&, http::Reply reply) {
    std::thread([reply] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      http::Response res;
      res.body = "finished";
      reply(res);
    }).detach();
  });
  server.start();
  http::ClientResult result;
  std::thread client_thread([&] {
    http::Client client;
    result = client.perform(get("http://127.0.0.1:" + std::to_string(server.port()) + "/"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  client_thread.join();
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.response.body, "finished");
  EXPECT_EQ(result.response.header("connection"), "close");
}
