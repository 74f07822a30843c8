#pragma once
// gigent-server for operators: GET /metrics (Prometheus text format), every
// request counted and timed by route pattern, and the systemd watchdog pinged
// from the event loop.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "http/server.h"

namespace gigent::server {

class Api;

// Wraps the API's handler: GET /metrics is answered at once on the I/O thread,
// never behind the database; every other request goes to `api` and is counted
// and timed when its answer leaves.
http::Handler observed_handler(Api& api);

class Store;

// The gauges read at scrape time: parked long-polls, open connections and the
// database size: for SQLite the file at `db_path` with its write-ahead log
// (a stat, no query); for PostgreSQL pg_database_size, sampled every 15 s off
// the I/O thread so a slow database never holds up a scrape. Registered while
// this lives.
class ServerGauges {
 public:
  ServerGauges(Api& api, const http::Server& server, Store& store, const std::string& db_path);
  ~ServerGauges();
  ServerGauges(const ServerGauges&) = delete;
  ServerGauges& operator=(const ServerGauges&) = delete;

 private:
  std::atomic<std::int64_t> sampled_size_{0};
  std::jthread sampler_;
  int hook_ = 0;
};

// Under a systemd unit with WatchdogSec=, pings the watchdog at half its
// timeout from the server's own timer: a server whose event loop hangs stops
// pinging and is restarted. Does nothing without a watchdog.
void start_watchdog_pings(http::Server& server);

}  // namespace gigent::server
