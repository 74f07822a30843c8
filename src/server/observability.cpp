#include "server/observability.h"

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>

#include "common/log.h"
#include "common/service_notify.h"
#include "metrics/metrics.h"
#include "metrics/server_metrics.h"
#include "server/api.h"
#include "server/store.h"

namespace gigent::server {

namespace {

constexpr std::chrono::seconds kSizeSampleInterval{15};

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

ServerGauges::ServerGauges(Api& api, const http::Server& server, Store& store, const std::string& db_path) {
  auto& m = metrics::server_metrics();
  if (store.is_postgres()) {
    sampler_ = std::jthread([this, &store](const std::stop_token& stop) {
      std::mutex mutex;
      std::condition_variable_any wake;
      while (!stop.stop_requested()) {
        try {
          sampled_size_ = store.database_size_bytes();
        } catch (const std::exception& e) {  // the gauge keeps its last value
          log::get("server")->debug("database size not sampled: {}", e.what());
        }
        std::unique_lock lock(mutex);
        wake.wait_for(lock, stop, kSizeSampleInterval, [] { return false; });
      }
    });
  }
  hook_ = metrics::add_scrape_hook([this, &api, &server, &m, &store, db_path] {
    m.parked_long_polls.Set(static_cast<double>(api.parked_long_polls()));
    m.open_connections.Set(static_cast<double>(server.open_connections()));
    m.database_size.Set(store.is_postgres()
                            ? static_cast<double>(sampled_size_.load())
                            : static_cast<double>(size_or_zero(db_path) + size_or_zero(db_path + "-wal")));
  });
}

ServerGauges::~ServerGauges() {
  metrics::remove_scrape_hook(hook_);
}

void start_watchdog_pings(http::Server& server) {
  auto timeout = service::watchdog_timeout();
  if (!timeout) return;
  ping_every(server, std::max(std::chrono::milliseconds(100),
                              std::chrono::duration_cast<std::chrono::milliseconds>(*timeout / 2)));
}

}  // namespace gigent::server
