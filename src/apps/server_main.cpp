// gigent-server: a drop-in backend for the Gigent marketplace REST API.
// main reads as the steps it takes: parse options, set up logging and signals,
// open the store, serve until SIGINT/SIGTERM, stop.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>

#include "common/log.h"
#include "common/service_notify.h"
#include "gigent/version.h"
#include "http/server.h"
#include "server/api.h"
#include "server/observability.h"
#include "server/seed.h"
#include "server/static_files.h"
#include "server/store.h"

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::string db = "./gigent.db";
  std::string log_format = "text";
  std::string log_level = "info";
  int port = 3000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bool allow_unauthenticated = false;
  gigent::http::ServerOptions http;  // limits for hostile clients; defaults in http/server.h
  unsigned idle_timeout_s = static_cast<unsigned>(http.idle_timeout.count());
  unsigned header_timeout_s =
      static_cast<unsigned>(std::chrono::duration_cast<std::chrono::seconds>(http.header_timeout).count());
  std::string static_dir;  // a built web front end served at /
  gigent::server::SeedOptions seed;
  std::size_t seed_agents = 0;
};

// Fills `options`; returns an exit code when the process should end here
// (--help, --version, a bad flag).
std::optional<int> parse_options(int argc, char** argv, Options& options) {
  CLI::App app{"gigent-server: the Gigent marketplace REST API on SQLite or PostgreSQL"};
  app.add_option("--host", options.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "Port to listen on (0 picks a free one)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--db", options.db,
                 "SQLite database file (created if missing), or postgresql://user@host:port/dbname for a database "
                 "several gigent-server processes share")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "Server threads")->capture_default_str()->check(CLI::Range(1u, 256u));
  app.add_flag("--allow-unauthenticated", options.allow_unauthenticated,
               "Trust agent ids in request bodies like the deployed service (no X-API-Key on writes)");
  app.add_option("--log-format", options.log_format, "text or json")->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_option("--max-connections", options.http.max_connections,
                 "Client connections open at once; at the cap the idlest keep-alive connection is closed for a new "
                 "one (default: the descriptor limit, ulimit -n, less a reserve for SQLite and the log)");
  app.add_option("--idle-timeout", options.idle_timeout_s,
                 "Seconds a keep-alive connection may wait for its next request")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400u));
  app.add_option("--header-timeout", options.header_timeout_s,
                 "Seconds from a request's first byte to the end of its headers")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3600u));
  app.add_option("--body-min-rate", options.http.body_min_rate,
                 "Bytes per second a request body must average after a 10 s grace (0: the whole body within it)")
      ->capture_default_str();
  app.add_option("--static", options.static_dir,
                 "Serve a built web front end from DIR at / (index.html for paths outside /api)");
  app.set_version_flag("--version",
                       std::string("gigent-server ") + GIGENT_VERSION + " (commit " + GIGENT_GIT_COMMIT + ")");
  // Benchmark seeding: fill --db and exit. Not part of the user-facing help.
  app.add_option("--seed-agents", options.seed_agents)->group("");
  app.add_option("--seed-orders", options.seed.orders)->group("");
  app.add_option("--seed-keys-out", options.seed.keys_out)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return std::nullopt;
}

bool init_logging(const Options& options) {
  gigent::log::Options log_options;
  log_options.to_stderr = true;
  if (!gigent::log::parse_format(options.log_format, log_options.format)) {
    std::cerr << "gigent-server: --log-format must be text or json\n";
    return false;
  }
  if (!gigent::log::parse_level(options.log_level, log_options.level)) {
    std::cerr << "gigent-server: unknown --log-level " << options.log_level << "\n";
    return false;
  }
  gigent::log::init(log_options);
  return true;
}

// SIGINT/SIGTERM are taken by sigwait in wait_for_stop_signal; they are
// blocked before any thread starts so that every thread inherits the mask.
sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

// Enough idle SQLite connections that every server thread keeps its own warm one.
std::size_t store_connections(const Options& options) {
  return options.threads + 4;
}

std::unique_ptr<gigent::server::Store> open_store(const Options& options) {
  try {
    return std::make_unique<gigent::server::Store>(options.db, store_connections(options));
  } catch (const std::exception& e) {
    std::cerr << "gigent-server: " << e.what() << "\n";
    return nullptr;
  }
}

int seed_and_exit(gigent::server::Store& store, Options& options) {
  options.seed.agents = options.seed_agents;
  try {
    auto made = gigent::server::seed(store, options.seed);
    std::cout << "seeded " << options.seed.agents << " agents and " << made << " orders into " << options.db
              << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gigent-server: seeding failed: " << e.what() << "\n";
    return 1;
  }
}

gigent::http::ServerOptions http_options(const Options& options) {
  gigent::http::ServerOptions http = options.http;
  http.host = options.host;
  http.port = static_cast<std::uint16_t>(options.port);
  http.threads = options.threads;
  http.idle_timeout = std::chrono::seconds(options.idle_timeout_s);
  http.header_timeout = std::chrono::seconds(options.header_timeout_s);
  // Each SQLite connection may hold the database, its WAL and a temporary
  // file; the rest covers stdio, the log, the event loop and the listener.
  http.reserved_fds = 32 + 3 * store_connections(options);
  return http;
}

// The --db value for the log, without a password a PostgreSQL URL may carry.
std::string shown_db(const std::string& db) {
  auto scheme = db.find("://");
  auto at = db.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return db;
  auto colon = db.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return db;
  return db.substr(0, colon) + ":***" + db.substr(at);
}

void announce(const Options& options, const gigent::http::Server& server) {
  auto log = gigent::log::get("server");
  if (options.allow_unauthenticated) log->warn("--allow-unauthenticated: writes trust agent ids in request bodies");
  log->info("serving {} with {} threads, at most {} connections", shown_db(options.db), options.threads,
            server.max_connections());
  std::string shown_host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::cout << "gigent-server listening on http://" << shown_host << ":" << server.port() << std::endl;
  gigent::service::notify_ready("listening on " + shown_host + ":" + std::to_string(server.port()));
}

int wait_for_stop_signal(const sigset_t& stop_signals) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  return signal_number;
}

// Serves until SIGINT/SIGTERM; parked long-polls are answered before the
// connections close.
int serve(gigent::server::Store& store, const Options& options, const sigset_t& stop_signals) {
  auto log = gigent::log::get("server");
  gigent::server::ApiOptions api_options;
  api_options.allow_unauthenticated = options.allow_unauthenticated;
  if (!options.static_dir.empty()) {
    try {
      api_options.static_files = std::make_shared<const gigent::server::StaticFiles>(options.static_dir);
    } catch (const std::exception& e) {
      std::cerr << "gigent-server: " << e.what() << "\n";
      return 2;
    }
  }
  gigent::server::Api api(store, api_options);
  gigent::http::Server server(http_options(options), gigent::server::observed_handler(api));
  api.set_scheduler(
      [&server](std::chrono::milliseconds delay, std::function<void()> fn) { server.run_after(delay, std::move(fn)); });
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "gigent-server: " << e.what() << "\n";
    return 1;
  }
  gigent::server::ServerGauges gauges(api, server, store, options.db);
  announce(options, server);
  gigent::server::start_watchdog_pings(server);
  int signal_number = wait_for_stop_signal(stop_signals);
  log->info("received {}, stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  gigent::service::notify_stopping("stopping");
  api.shutdown();
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (auto exit_code = parse_options(argc, argv, options)) return *exit_code;
  if (!init_logging(options)) return 2;
  sigset_t stop_signals = block_stop_signals();
  auto store = open_store(options);
  if (!store) return 1;
  if (options.seed_agents > 0) return seed_and_exit(*store, options);
  int exit_code = serve(*store, options, stop_signals);
  store.reset();
  if (exit_code == 0) gigent::log::get("server")->info("stopped");
  return exit_code;
}
