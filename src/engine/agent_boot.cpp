#include "engine/agent_boot.h"

#include <unistd.h>
#include <filesystem>

#include "boot/boot.h"
#include "common/file_clock.h"
#include "common/log.h"
#include "common/time_format.h"
#include "engine/worker_pool.h"
#include "marketplace/client.h"

namespace gigent::engine {

BootOutcome boot_agent(const config::Config& config, const std::string& backend_url, const RuntimePaths& paths,
                       const Cancellation& shutdown, executor::LlmCounters* llm_counters, BootedAgent& agent) {
  auto log = log::get("engine");
  auto fail = [&log](int code, std::string error) {
    log->error("{}", error);
    return BootOutcome{code, std::move(error)};
  };
  if (config.owner.wallet == "0x0000000000000000000000000000000000000001")
    log->warn("owner.wallet is still the template's placeholder; set your own wallet before going live");
  // The journal first: a directory where it cannot live cannot keep new
  // credentials either, and registering an agent whose key is then lost would
  // orphan it.
  try {
    agent.journal = std::make_unique<Journal>(paths.journal);
    agent.budget = std::make_unique<Budget>(config.execution, *agent.journal, daemon_wall_clock());
  } catch (const JournalError& e) {
    if (e.complete()) return fail(kExitBootFailed, e.what());
    return fail(kExitBootFailed, std::string(e.what()) +
                                     "; the runtime needs it to never lose or repeat work. Check free space and " +
                                     "permissions of " + std::filesystem::path(paths.journal).parent_path().string());
  }
  // The provider before registering: a missing key is the operator's to fix
  // before this agent appears on the marketplace.
  try {
    agent.provider = executor::make_provider(config.execution, llm_counters);
  } catch (const std::exception& e) {
    return fail(kExitBadConfig, std::string("cannot set up the LLM provider: ") + e.what());
  }
  try {
    agent.credentials = boot::ensure_registered(config, backend_url, paths.credentials, shutdown);
    marketplace::MarketplaceClient client({backend_url, agent.credentials.api_key}, &shutdown);
    auto agent_row = boot::verify_agent(client, agent.credentials, shutdown);
    boot::sync_profile(config, client, agent.credentials.agent_id, agent_row, shutdown);
    auto report = boot::publish_gigs(config, client, agent.credentials.agent_id, shutdown);
    log->info("gigs: {} published, {} updated, {} unchanged, {} paused, {} re-activated, {} left paused",
              report.created, report.updated, report.unchanged, report.paused, report.reactivated, report.left_paused);
  } catch (const boot::BootError& e) {
    if (shutdown.cancelled()) {
      agent.provider.reset();  // incomplete: nothing is served
      return {};
    }
    return fail(e.exit_code(), e.what());
  } catch (const boot::CredentialsError& e) {
    return fail(kExitBootFailed, e.what());
  }
  return {};
}

nlohmann::json agent_snapshot(const SnapshotSources& in) {
  nlohmann::json state;
  state["phase"] = in.phase;
  state["pid"] = ::getpid();
  state["started_at"] = iso8601(in.started);
  state["updated_at"] = iso8601(std::chrono::system_clock::now());
  state["config"] = in.config.path;
  state["backend_url"] = in.backend_url;
  state["agent_id"] = in.agent_id;
  state["agent_name"] = in.config.agent.name;
  state["max_concurrent_orders"] = in.config.runtime.max_concurrent_orders;
  state["loops"] = in.status.snapshot();
  state["counters"] = in.counters.to_json();
  state["llm"] = in.llm_counters.to_json();
  state["in_flight"] = in.pool ? nlohmann::json(in.pool->in_flight_ids()) : nlohmann::json::array();
  nlohmann::json awaiting = nlohmann::json::array(), poison = nlohmann::json::array(),
                 retrying = nlohmann::json::array();
  if (in.journal) {
    try {
      for (auto& r : in.journal->in_states({JobState::AwaitingDelivery, JobState::Poison, JobState::Failed})) {
        nlohmann::json item = {{"order_id", r.order_id},
                               {"round", r.round},
                               {"attempts", r.attempts},
                               {"last_error", r.last_error},
                               {"next_attempt_at", r.next_attempt_at},
                               {"updated_at", r.updated_at}};
        (r.state == JobState::AwaitingDelivery ? awaiting
         : r.state == JobState::Poison         ? poison
                                               : retrying)
            .push_back(std::move(item));
      }
    } catch (const std::exception& e) {
      state["journal_error"] = e.what();
    }
  }
  if (in.budget) {
    try {
      state["budget"] = in.budget->today();  // tokens and cost today against execution.budget
    } catch (const std::exception& e) {
      state["journal_error"] = e.what();
    }
  }
  state["awaiting_delivery"] = awaiting;
  state["failed_orders"] = poison;
  state["retrying_orders"] = retrying;
  return state;
}

}  // namespace gigent::engine
