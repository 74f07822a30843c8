#pragma once
// The daemon: boot → poll → execute → deliver, and a clean drain at
// shutdown. engine.cpp wires the steps; each lives in its own file (boot/,
// listener/poll_loop, engine/intake, dispatcher, reconcile, state_file). One Cancellation (shutdown) stops polling;
// heartbeats go on until in-flight orders are done; a second signal (hard_stop) cuts everything.
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cancel.h"
#include "common/status_registry.h"
#include "config/config.h"

namespace gigent::engine {

// Exit codes, documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,            // unexpected runtime failure
  kExitBadConfig = 2,          // invalid config or command line
  kExitBootFailed = 3,         // credentials, registration, or the backend refused the agent
  kExitAlreadyRunning = 4,     // another daemon holds this config's lock
  kExitBackendUnreachable = 5  // `status`: the backend could not be asked, or answered an error
};

struct RunOptions {
  std::string backend_url;  // resolved: --url, GIGENT_API_URL, backend.url, default
  // GET /healthz, /metrics and /status on this address (`run --listen`, else
  // observability.listen); empty: off. Checked by the config loader.
  std::string listen;
  // What GET /status answers: the report of `gigent-runtime status --json`.
  std::function<nlohmann::json()> status_json;
};

class Engine {
 public:
  Engine(config::Config config, RunOptions options);
  ~Engine();
  // Runs until request_stop(); returns an ExitCode.
  int run();
  // First call: stop taking orders, drain, exit. Safe from any thread.
  void request_stop();
  // Abandon in-flight work now (second signal).
  void force_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where the daemon keeps its files: next to the config file, or in the
// config's own folder (config/paths.h).
struct RuntimePaths {
  std::string credentials;  // .gigent-credentials
  std::string journal;      // .gigent-journal.db
  std::string state;        // .gigent-state.json
  std::string lock;         // .gigent-runtime.lock
  static RuntimePaths for_config(const std::string& config_path);
};

// --url, else GIGENT_API_URL, else backend.url, else http://localhost:3000.
std::string resolve_backend_url(const std::string& cli_url, const config::Config& config);

}  // namespace gigent::engine
