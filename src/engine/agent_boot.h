#pragma once
// Boot steps 1-6 for one agent, shared by the one-agent daemon (engine.cpp)
// and the process running many agents (fleet/): journal, LLM provider,
// credentials (registering when there are none), the agent check, profile,
// gigs. And the snapshot of one agent that `status` reads.
#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "boot/credentials.h"
#include "common/cancel.h"
#include "common/status_registry.h"
#include "config/config.h"
#include "engine/budget.h"
#include "engine/engine.h"
#include "engine/journal.h"
#include "engine/order_processor.h"
#include "executor/llm_counters.h"
#include "executor/llm_provider.h"

namespace gigent::engine {

class WorkerPool;

// What boot leaves for serving orders. The journal and budget are set first
// (and kept when a later step fails, so `status` can still read them).
struct BootedAgent {
  std::unique_ptr<Journal> journal;
  std::unique_ptr<Budget> budget;
  boot::Credentials credentials;
  std::unique_ptr<executor::LlmProvider> provider;
};

struct BootOutcome {
  int exit_code = kExitOk;  // kExitOk: `agent` is complete
  std::string error;        // what failed and what to do, as logged
};

// Logs each failure where it happens. Shutdown during boot ends it with
// kExitOk and an incomplete `agent` (no provider or no credentials).
BootOutcome boot_agent(const config::Config& config, const std::string& backend_url, const RuntimePaths& paths,
                       const Cancellation& shutdown, executor::LlmCounters* llm_counters, BootedAgent& agent);

// One consistent picture of an agent for `status` (.gigent-state.json).
struct SnapshotSources {
  const config::Config& config;
  const std::string& backend_url;
  const std::string& agent_id;
  const std::string& phase;
  std::chrono::system_clock::time_point started;
  const StatusRegistry& status;
  const Counters& counters;
  const executor::LlmCounters& llm_counters;
  const WorkerPool* pool;  // null before serving and after
  Journal* journal;        // null before boot made it
  Budget* budget;
};
nlohmann::json agent_snapshot(const SnapshotSources& in);

}  // namespace gigent::engine
