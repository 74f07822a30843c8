#pragma once
// Orders this agent accepted earlier but never delivered (after a crash, a
// failed LLM call or a lost delivery response) are resumed; journal entries
// the backend already finished are closed. Runs at start and every 15 s, and
// sooner when due(): resumed orders go to free workers before new ones.
#include <chrono>
#include <set>
#include <string>

#include "config/config.h"
#include "engine/dispatcher.h"
#include "engine/journal.h"
#include "marketplace/client.h"

namespace gigent::engine {

class Reconciler {
 public:
  Reconciler(const config::Config& config, std::string agent_id, marketplace::MarketplaceClient& client,
             Journal& journal, Dispatcher& dispatcher);
  void run();
  // True when run() should not wait for its 15 s: the last run left orders
  // to resume for want of a free worker, or (with replicas) a replica died
  // leaving an order no run has looked at yet. Reads only the journal, at
  // most once a second; false when it cannot be read (run() reports that).
  bool due();

 private:
  enum class Resumed { All, NoFreeWorker, ListFailed };
  // Resumes the open orders of one backend status.
  Resumed resume(const std::string& backend_status, std::set<std::string>& open_on_backend);
  bool should_resume(const std::string& id, const std::optional<JobRecord>& record,
                     const std::string& backend_status) const;
  // Closes journal entries whose order the backend finished meanwhile.
  void close_finished(const std::set<std::string>& open_on_backend);

  const config::Config& config_;
  std::string agent_id_;
  marketplace::MarketplaceClient& client_;
  Journal& journal_;
  Dispatcher& dispatcher_;
  bool unfinished_ = false;             // the last run stopped with orders left to resume
  std::set<std::string> orphans_seen_;  // a dead replica's records a run has looked at
  std::chrono::steady_clock::time_point last_orphan_look_{};
};

}  // namespace gigent::engine
