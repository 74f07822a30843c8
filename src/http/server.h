#pragma once
// An event-driven HTTP/1.1 server (Boost.Beast on Asio): keep-alive
// connections and long-polls cost a socket and a buffer, not a thread, so a
// few threads hold hundreds of agents. Handlers may answer later from any
// thread, which is how long-poll and scripted delays work.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gigent::http {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // raw path + query
  std::string path;                            // decoded path without query
  std::map<std::string, std::string> query;    // decoded; last value wins
  std::map<std::string, std::string> headers;  // keys lowercased
  std::string body;
  std::string remote;  // "127.0.0.1:54321"

  std::optional<std::string> header(const std::string& lowercase_name) const;
  std::optional<std::string> query_param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  // Fault injection for test servers: send the headers with the full
  // Content-Length, then only this many body bytes, then close the socket.
  std::optional<std::size_t> truncate_body_at;
  bool close_connection = false;
};

// Calls the connection's write exactly once; callable from any thread. If the
// handler drops it without calling, the connection is closed.
using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Reply)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free port
  unsigned threads = 2;
  std::size_t body_limit = 10u << 20;      // larger bodies get 413 with a JSON error
  std::chrono::seconds idle_timeout{120};  // keep-alive connections idle longer are closed
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws std::runtime_error with the reason on failure.
  void start();
  std::uint16_t port() const;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void stop();
  // Number of open client connections (for status and benchmarks).
  std::size_t open_connections() const;

  // A timer on the server's threads, for long-poll deadlines and delays.
  void run_after(std::chrono::milliseconds delay, std::function<void()> fn);

  struct Impl;  // public only so the connection class in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// {"error": message} with the given status, plus optional extra fields as raw JSON pairs.
Response json_error(int status, const std::string& message);

}  // namespace gigent::http
