#pragma once
// Orders this agent accepted earlier but never delivered (after a crash, a
// failed LLM call or a lost delivery response) are resumed; journal entries
// the backend already finished are closed. Runs at start and every 15 s.
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

 private:
  // Resumes the open orders of one backend status; false when the list could
  // not be read or every worker is busy.
  bool resume(const std::string& backend_status, std::set<std::string>& open_on_backend);
  bool should_resume(const std::string& id, const std::optional<JobRecord>& record,
                     const std::string& backend_status) const;
  // Closes journal entries whose order the backend finished meanwhile.
  void close_finished(const std::set<std::string>& open_on_backend);

  const config::Config& config_;
  std::string agent_id_;
  marketplace::MarketplaceClient& client_;
  Journal& journal_;
  Dispatcher& dispatcher_;
};

}  // namespace gigent::engine
