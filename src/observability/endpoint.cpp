#include "observability/endpoint.h"

#include "common/log.h"
#include "metrics/metrics.h"

namespace gigent::observability {

namespace {

// /status asks the backend (seconds when it is slow): a few may wait, more are
// refused rather than queued without bound.
constexpr std::size_t kMaxStatusWaiting = 4;

http::Response text(int status, std::string body, const char* content_type = "text/plain; charset=utf-8") {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = content_type;
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

http::ServerOptions server_options(const ListenAddress& address) {
  http::ServerOptions options;
  options.host = address.host;
  options.port = address.port;
  options.threads = 1;  // scrapes and probes are few and quick
  options.max_connections = 64;
  options.body_limit = 64u << 10;
  return options;
}

}  // namespace

http::Response health_response(const HealthReport& report, const http::Request& request) {
  const int status = report.ok() ? 200 : 503;
  const auto accept = request.header("accept");
  if (accept && accept->find("application/json") != std::string::npos)
    return text(status, report.to_json().dump(2) + "\n", "application/json; charset=utf-8");
  return text(status, report.text());
}

Endpoint::Endpoint(const ListenAddress& address, Sources sources)
    : sources_(std::move(sources)),
      status_thread_([this](const std::stop_token& stop) { run_status_jobs(stop); }),
      server_(server_options(address),
              [this](http::Request&& request, http::Reply reply) { handle(std::move(request), std::move(reply)); }) {}

Endpoint::~Endpoint() {
  server_.stop();
  status_thread_.request_stop();
  status_thread_.join();
}

void Endpoint::start() {
  server_.start();
}

void Endpoint::handle(http::Request&& request, http::Reply reply) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = text(405, "only GET\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
    reply(std::move(response));
    return;
  }
  if (request.path == "/healthz") {
    reply(health_response(sources_.health(), request));
  } else if (request.path == "/metrics") {
    reply(text(200, metrics::render(), metrics::kContentType));
  } else if (request.path == "/status") {
    answer_status(std::move(reply));
  } else {
    reply(text(404, "not found: this endpoint serves /healthz, /metrics and /status\n"));
  }
}

void Endpoint::answer_status(http::Reply reply) {
  {
    std::lock_guard lock(jobs_mutex_);
    if (status_waiting_.size() < kMaxStatusWaiting) {
      status_waiting_.push_back(std::move(reply));
      reply = nullptr;
    }
  }
  if (reply) {
    reply(text(503, "too many /status requests at once; try again\n"));
    return;
  }
  jobs_cv_.notify_one();
}

// One thread gathers the status; each waiting request gets the answer of one
// gathering that began after it arrived.
void Endpoint::run_status_jobs(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    std::deque<http::Reply> waiting;
    {
      std::unique_lock lock(jobs_mutex_);
      if (!jobs_cv_.wait(lock, stop, [this] { return !status_waiting_.empty(); })) break;
      waiting.swap(status_waiting_);
    }
    http::Response response;
    try {
      response = text(200, sources_.status().dump(2) + "\n", "application/json; charset=utf-8");
    } catch (const std::exception& e) {
      log::get("observability")->warn("/status failed: {}", e.what());
      response = text(500, nlohmann::json{{"error", e.what()}}.dump() + "\n", "application/json; charset=utf-8");
    }
    for (auto& reply : waiting) reply(response);
  }
}

std::unique_ptr<Endpoint> start_endpoint(const std::string& listen, Sources sources, std::string& error) {
  auto address = parse_listen_address(listen, error);
  if (!address) return nullptr;
  try {
    auto endpoint = std::make_unique<Endpoint>(*address, std::move(sources));
    endpoint->start();
    return endpoint;
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
}

}  // namespace gigent::observability
