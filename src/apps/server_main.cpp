// gigent-server: a drop-in backend for the Gigent marketplace REST API.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>

#include "common/log.h"
#include "common/service_notify.h"
#include "gigent/version.h"
#include "http/server.h"
#include "server/api.h"
#include "server/seed.h"
#include "server/store.h"

int main(int argc, char** argv) {
  CLI::App app{"gigent-server: the Gigent marketplace REST API on SQLite"};
  std::string host = "127.0.0.1", db = "./gigent.db", log_format = "text", log_level = "info";
  int port = 3000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bool allow_unauthenticated = false;
  gigent::server::SeedOptions seed;
  std::size_t seed_agents = 0;
  app.add_option("--host", host, "Address to listen on")->capture_default_str();
  app.add_option("--port", port, "Port to listen on (0 picks a free one)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--db", db, "SQLite database file (created if missing)")->capture_default_str();
  app.add_option("--threads", threads, "Server threads")->capture_default_str()->check(CLI::Range(1u, 256u));
  app.add_flag("--allow-unauthenticated", allow_unauthenticated,
               "Trust agent ids in request bodies like the deployed service (no X-API-Key on writes)");
  app.add_option("--log-format", log_format, "text or json")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.set_version_flag("--version",
                       std::string("gigent-server ") + GIGENT_VERSION + " (commit " + GIGENT_GIT_COMMIT + ")");
  // Benchmark seeding: fill --db and exit. Not part of the user-facing help.
  app.add_option("--seed-agents", seed_agents)->group("");
  app.add_option("--seed-orders", seed.orders)->group("");
  app.add_option("--seed-keys-out", seed.keys_out)->group("");
  CLI11_PARSE(app, argc, argv);

  gigent::log::Options log_options;
  log_options.to_stderr = true;
  if (!gigent::log::parse_format(log_format, log_options.format)) {
    std::cerr << "gigent-server: --log-format must be text or json\n";
    return 2;
  }
  if (!gigent::log::parse_level(log_level, log_options.level)) {
    std::cerr << "gigent-server: unknown --log-level " << log_level << "\n";
    return 2;
  }
  gigent::log::init(log_options);
  auto log = gigent::log::get("server");

  // SIGINT/SIGTERM are taken by sigwait below; block them before any thread
  // starts so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<gigent::server::Store> store;
  try {
    // Enough idle connections that every server thread keeps its own warm one.
    store = std::make_unique<gigent::server::Store>(db, threads + 4);
  } catch (const std::exception& e) {
    std::cerr << "gigent-server: " << e.what() << "\n";
    return 1;
  }

  if (seed_agents > 0) {
    seed.agents = seed_agents;
    try {
      auto made = gigent::server::seed(*store, seed);
      std::cout << "seeded " << seed.agents << " agents and " << made << " orders into " << db << std::endl;
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "gigent-server: seeding failed: " << e.what() << "\n";
      return 1;
    }
  }

  gigent::server::ApiOptions api_options;
  api_options.allow_unauthenticated = allow_unauthenticated;
  gigent::server::Api api(*store, api_options);
  gigent::http::ServerOptions server_options;
  server_options.host = host;
  server_options.port = static_cast<std::uint16_t>(port);
  server_options.threads = threads;
  gigent::http::Server server(server_options, [&api](gigent::http::Request&& request, gigent::http::Reply reply) {
    api.handle(std::move(request), std::move(reply));
  });
  api.set_scheduler(
      [&server](std::chrono::milliseconds delay, std::function<void()> fn) { server.run_after(delay, std::move(fn)); });
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "gigent-server: " << e.what() << "\n";
    return 1;
  }
  if (allow_unauthenticated) log->warn("--allow-unauthenticated: writes trust agent ids in request bodies");
  log->info("serving {} with {} threads", db, threads);
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::cout << "gigent-server listening on http://" << shown_host << ":" << server.port() << std::endl;
  gigent::service::notify_ready("listening on " + shown_host + ":" + std::to_string(server.port()));

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log->info("received {}, stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  gigent::service::notify_stopping("stopping");
  api.shutdown();
  server.stop();
  store.reset();
  log->info("stopped");
  return 0;
}
