#pragma once
// One agent of a process running many (fleet.h): its own config, lock,
// journal, budget, credentials, counters and state file, exactly as a
// one-agent daemon has them, but no thread of its own. Its steps (a pass
// over its order list, reconcile, a heartbeat) run on the fleet's pools when
// the fleet asks; its orders run in a lane of the shared worker pool with the
// agent's own max_concurrent_orders.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cancel.h"
#include "common/health.h"
#include "common/log.h"
#include "common/status_registry.h"
#include "config/config.h"
#include "engine/agent_boot.h"
#include "engine/dispatcher.h"
#include "engine/engine.h"
#include "engine/health.h"
#include "engine/intake.h"
#include "engine/lock_file.h"
#include "engine/order_processor.h"
#include "engine/reconcile.h"
#include "engine/state_file.h"
#include "engine/worker_pool.h"
#include "executor/llm_counters.h"
#include "heartbeat/heartbeat.h"
#include "marketplace/client.h"

namespace gigent::fleet {

// What every agent of the process shares; owned by the Fleet, which outlives
// its agents.
struct SharedParts {
  engine::SharedWorkers& workers;  // LLM calls and deliveries
  engine::SharedWorkers& io;       // passes, reconciles, heartbeats
  const Cancellation& hard_stop;   // the second signal: abandon in-flight work
  // Called (on a worker thread) when one of the agent's orders ends.
  std::function<void(const std::string& config_path)> slot_freed;
  // The agent's state changed (an order ended): its state file is due.
  std::function<void(const std::string& config_path)> state_changed;
  // What the state file says about the process (its agents, threads, pickup).
  std::function<nlohmann::json()> process_info;
};

class FleetAgent : public std::enable_shared_from_this<FleetAgent> {
 public:
  enum Work : unsigned { kPass = 1, kReconcile = 2 };

  FleetAgent(config::Config config, std::string backend_url, SharedParts shared);
  ~FleetAgent();  // "stopped" in the state file; releases the lock
  FleetAgent(const FleetAgent&) = delete;
  FleetAgent& operator=(const FleetAgent&) = delete;

  // Lock, boot (engine/agent_boot.cpp), the first reconcile. Blocks (boot
  // retries an unreachable backend until stop_taking()). False: it failed;
  // error() says why.
  bool start();
  // Asks for a pass over the order list and/or a reconcile; requests made
  // while one runs are merged into one more run, on the io pool.
  void want(unsigned work);
  void heartbeat();
  // Every 15 s: a failed order due for its retry wants a reconcile (journal
  // only, nothing is sent), and every `full_every` ticks a full reconcile;
  // every `write_every` ticks the state file is rewritten (`status` tells a
  // live agent by its age; changes are written as they happen). Then the
  // journal's caches are given back.
  void tick(int full_every, int write_every);
  void write_state();
  // An agent with nothing in flight gives back its journal's caches.
  void rest();
  // Stops taking orders and ends boot's retries; in-flight orders go on.
  void stop_taking();
  bool wait_idle(std::chrono::milliseconds timeout);
  // After the drain: "stopped" in the state file.
  void finish();
  // A key the multi-agent wait refused: re-read .gigent-credentials. False
  // when it holds no other key.
  bool reload_key();

  const std::string& name() const { return config_.agent.name; }
  const std::string& config_path() const { return config_.path; }
  const std::string& backend_url() const { return backend_url_; }
  const config::Config& config() const { return config_; }
  bool online() const { return online_; }
  bool failed() const;
  std::string agent_id() const;
  std::string api_key() const;
  std::string error() const;  // why it failed ("" when it did not)
  int busy() const;
  // Orders were left listed for want of a free worker: it wants a pass when one frees.
  bool starved() const { return starved_; }
  bool heartbeat_enabled() const { return config_.heartbeat.enabled; }
  std::chrono::seconds heartbeat_interval() const { return std::chrono::seconds(config_.heartbeat.interval_seconds); }
  std::chrono::seconds poll_interval() const { return std::chrono::seconds(config_.runtime.poll_interval_seconds); }
  nlohmann::json snapshot();
  HealthReport health();

 private:
  void work();
  void pass();
  void reconcile();
  void set_phase(const std::string& phase, const std::string& error = "");
  void probe_journal();

  config::Config config_;
  std::string backend_url_;
  SharedParts shared_;
  engine::RuntimePaths paths_;
  std::shared_ptr<spdlog::logger> log_;
  Cancellation stop_;            // no new orders; boot retries end
  Cancellation heartbeat_stop_;  // fired by finish(): heartbeats go on through the drain
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  StatusRegistry status_;
  engine::Counters counters_;
  executor::LlmCounters llm_counters_;
  engine::LockFile lock_;
  engine::StateFile state_file_;

  mutable std::mutex mutex_;  // phase, error, agent_id, journal probe
  std::string phase_ = "starting";
  std::chrono::system_clock::time_point phase_since_ = started_;
  std::string error_;
  std::string agent_id_;
  engine::JournalProbe journal_probe_;
  std::optional<std::chrono::system_clock::time_point> heartbeat_started_;

  // Set by start(), before online_; read by the steps only once online.
  engine::BootedAgent booted_;
  std::optional<marketplace::Endpoint> endpoint_;
  std::unique_ptr<marketplace::MarketplaceClient> client_;  // passes and reconciles (one at a time)
  std::unique_ptr<heartbeat::HeartbeatLoop> heartbeat_;
  std::unique_ptr<engine::OrderProcessor> processor_;
  std::unique_ptr<engine::WorkerPool> lane_;
  std::unique_ptr<engine::Dispatcher> dispatcher_;
  std::unique_ptr<engine::Reconciler> reconciler_;
  std::unique_ptr<engine::OrderIntake> intake_;
  std::vector<std::string> pass_statuses_;

  std::atomic<bool> online_{false};
  std::atomic<bool> starved_{false};
  // An order ended since the journal was last found without failed orders:
  // the tick looks for retries due (an idle agent's tick reads nothing).
  std::atomic<bool> may_have_retries_{true};
  std::mutex work_mutex_;  // wanted_, queued_
  unsigned wanted_ = 0;
  bool queued_ = false;
  int ticks_ = 0;
  std::atomic<bool> pass_failed_{false};  // the next tick asks again
  std::mutex heartbeat_mutex_;            // one heartbeat at a time
};

}  // namespace gigent::fleet
