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

// One piece of a streamed answer, sent after `delay`.
struct StreamChunk {
  std::chrono::milliseconds delay{0};
  std::string data;
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
  // Streamed answers for test servers (server-sent events): when set, `body`
  // is ignored and each chunk is sent as one HTTP/1.1 chunk after its delay.
  // `stream_cut` closes the connection after the last one instead of ending
  // the body properly, as a dropped connection would.
  std::optional<std::vector<StreamChunk>> stream;
  bool stream_cut = false;
};

// Calls the connection's write exactly once; callable from any thread. If the
// handler drops it without calling, the connection is closed.
using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Reply)>;

// Limits that keep hostile or broken clients from holding the server's file
// descriptors. Every connection costs one descriptor, so the cap follows the
// process's descriptor limit, and a connection that is slow to send its request
// is closed rather than held.
struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free port
  unsigned threads = 2;
  std::size_t body_limit = 10u << 20;      // larger bodies get 413 with a JSON error
  std::chrono::seconds idle_timeout{120};  // waiting for the first byte of the next request
  // Connections open at once; 0 derives it from RLIMIT_NOFILE less
  // `reserved_fds` (see default_max_connections). A new connection at the cap
  // closes the connection that has waited longest for its next request (or,
  // with none idle, the one sending a body below body_min_rate the longest);
  // when every connection is busy (a request in flight, a parked long-poll)
  // new ones wait in the listen backlog until one closes.
  std::size_t max_connections = 0;
  // Descriptors kept for everything but client connections: SQLite files, the
  // log, the event loop, the listening socket.
  std::size_t reserved_fds = 64;
  std::chrono::milliseconds header_timeout{10000};  // from a request's first byte to the end of its headers
  // A body may take `body_grace` plus one second per `body_min_rate` bytes
  // received: a sender that keeps up at least that average rate is never cut,
  // one that declares a large body and stalls is closed after the grace.
  std::chrono::milliseconds body_grace{10000};
  std::size_t body_min_rate = 4096;        // bytes per second; 0: the whole body within body_grace
  std::chrono::seconds write_timeout{30};  // a client that does not read its answer is closed
};

// The cap used when ServerOptions::max_connections is 0: the soft descriptor
// limit less `reserved_fds`, or half the limit when it is smaller than twice the
// reserve.
std::size_t default_max_connections(std::size_t reserved_fds);

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
  // The connection cap in force (ServerOptions::max_connections or its default); valid after start().
  std::size_t max_connections() const;

  // A timer on the server's threads, for long-poll deadlines and delays.
  void run_after(std::chrono::milliseconds delay, std::function<void()> fn);

  struct Impl;  // public only so the connection class in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// {"error": message} with the given status, plus optional extra fields as raw JSON pairs.
Response json_error(int status, const std::string& message);

}  // namespace gigent::http
