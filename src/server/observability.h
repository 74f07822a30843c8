#pragma once
// gigent-server for operators: GET /metrics (Prometheus text format), every
// request counted and timed by route pattern, and the systemd watchdog pinged
// from the event loop.
#include <string>

#include "http/server.h"

namespace gigent::server {

class Api;

// Wraps the API's handler: GET /metrics is answered at once on the I/O thread,
// never behind the database; every other request goes to `api` and is counted
// and timed when its answer leaves.
http::Handler observed_handler(Api& api);

// Registers the gauges read at scrape time: parked long-polls, open
// connections, and the size of the SQLite database at `db_path` (with its
// write-ahead log). Returns the hook id for metrics::remove_scrape_hook.
int add_server_gauges(Api& api, const http::Server& server, const std::string& db_path);

// Under a systemd unit with WatchdogSec=, pings the watchdog at half its
// timeout from the server's own timer: a server whose event loop hangs stops
// pinging and is restarted. Does nothing without a watchdog.
void start_watchdog_pings(http::Server& server);

}  // namespace gigent::server
