#pragma once
// The daemon's endpoint for operators (observability.listen, `run --listen`):
// GET /healthz, GET /metrics (Prometheus text format) and GET /status (what
// `gigent-runtime status --json` prints), on the project's HTTP server.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/health.h"
#include "common/listen_address.h"
#include "http/server.h"

namespace gigent::observability {

struct Sources {
  // Must be quick: it answers on the server's I/O thread.
  std::function<HealthReport()> health;
  // May be slow (it asks the backend): runs on the endpoint's own thread.
  std::function<nlohmann::json()> status;
};

// The 200 or 503 answer for a health report: plain text, or JSON when the
// request's Accept header asks for application/json.
http::Response health_response(const HealthReport& report, const http::Request& request);

class Endpoint;

// Binds and starts an endpoint on `listen` ("HOST:PORT"). nullptr and
// `error` (the reason, e.g. "Address already in use") when it cannot.
std::unique_ptr<Endpoint> start_endpoint(const std::string& listen, Sources sources, std::string& error);

class Endpoint {
 public:
  Endpoint(const ListenAddress& address, Sources sources);
  ~Endpoint();  // stops the server, then the status thread
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Binds and listens; throws std::runtime_error with the reason (such as
  // "Address already in use").
  void start();
  std::uint16_t port() const { return server_.port(); }

 private:
  void handle(http::Request&& request, http::Reply reply);
  void answer_status(http::Reply reply);
  void run_status_jobs(const std::stop_token& stop);

  Sources sources_;
  std::mutex jobs_mutex_;
  std::condition_variable_any jobs_cv_;
  std::deque<http::Reply> status_waiting_;  // /status requests not answered yet
  std::jthread status_thread_;
  http::Server server_;  // last: destroyed first, so no handler runs on a stopped thread
};

}  // namespace gigent::observability
