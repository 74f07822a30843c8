#pragma once
// Many agents in one gigent-runtime process (`run -c a.yaml -c b.yaml`,
// `run --agents-dir DIR`). Each agent keeps everything a one-agent daemon
// has (fleet_agent.h); the process shares what costs memory or threads per
// agent: one pool of worker threads for the LLM calls (each agent limited to
// its own max_concurrent_orders), a few threads for order passes and
// heartbeats, one timer, kept-alive connections per thread, and one request
// waiting for every agent's orders (order_watch.h). A config that fails to
// load or boot stops only its agent; SIGHUP re-reads the set of configs.
#include <memory>
#include <string>
#include <vector>

#include "fleet/discover.h"

namespace gigent::fleet {

struct FleetOptions {
  AgentSources sources;
  std::string url;     // --url for every agent; empty: each config's own (GIGENT_API_URL, backend.url, default)
  int workers = 0;     // shared worker threads; 0: the agents' max_concurrent_orders summed, at most kDefaultMaxWorkers
  std::string listen;  // /healthz, /metrics, /status for the whole process; empty: off
};

inline constexpr int kDefaultMaxWorkers = 64;

class Fleet {
 public:
  // Process-wide settings the fleet needs; call before anything else in the
  // process uses SQLite.
  static void prepare_process();
  explicit Fleet(FleetOptions options);
  ~Fleet();
  // Until request_stop(); returns an engine::ExitCode.
  int run();
  void request_stop();
  void force_stop();
  // Re-read the configs (SIGHUP): start new ones, stop removed ones, restart
  // changed ones (a changed config that no longer loads keeps the agent
  // running as it was), retry failed ones.
  void request_reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gigent::fleet
