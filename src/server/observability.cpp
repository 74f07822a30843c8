#include "server/observability.h"

#include <filesystem>
#include <memory>

#include "common/service_notify.h"
#include "metrics/metrics.h"
#include "metrics/server_metrics.h"
#include "server/api.h"

namespace gigent::server {

namespace {

std::uintmax_t size_or_zero(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

void ping_every(http::Server& server, std::chrono::milliseconds period) {
  service::notify_watchdog();
  server.run_after(period, [&server, period] { ping_every(server, period); });
}

}  // namespace

http::Handler observed_handler(Api& api) {
  return [&api](http::Request&& request, http::Reply reply) {
    if (request.path == "/metrics" && (request.method == "GET" || request.method == "HEAD")) {
      http::Response response;
      response.body = metrics::render();
      response.content_type = metrics::kContentType;
      reply(std::move(response));
      return;
    }
    auto timed = [started = std::chrono::steady_clock::now(), method = request.method, path = request.path,
                  reply = std::move(reply)](http::Response response) {
      metrics::observe_request(method, path, response.status, std::chrono::steady_clock::now() - started);
      reply(std::move(response));
    };
    api.handle(std::move(request), std::move(timed));
  };
}

int add_server_gauges(Api& api, const http::Server& server, const std::string& db_path) {
  auto& m = metrics::server_metrics();
  return metrics::add_scrape_hook([&api, &server, &m, db_path] {
    m.parked_long_polls.Set(static_cast<double>(api.parked_long_polls()));
    m.open_connections.Set(static_cast<double>(server.open_connections()));
    m.database_size.Set(static_cast<double>(size_or_zero(db_path) + size_or_zero(db_path + "-wal")));
  });
}

void start_watchdog_pings(http::Server& server) {
  auto timeout = service::watchdog_timeout();
  if (!timeout) return;
  ping_every(server, std::max(std::chrono::milliseconds(100),
                              std::chrono::duration_cast<std::chrono::milliseconds>(*timeout / 2)));
}

}  // namespace gigent::server
