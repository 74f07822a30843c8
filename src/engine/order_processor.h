#pragma once
// One order's way through the runtime: claim (accept + start), execute,
// deliver, with every step recorded in the journal first.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/cancel.h"
#include "common/status_registry.h"
#include "config/config.h"
#include "engine/budget.h"
#include "engine/journal.h"
#include "executor/llm_provider.h"
#include "marketplace/client.h"

namespace gigent::engine {

struct Counters {
  std::atomic<long long> delivered{0};
  std::atomic<long long> failed{0};
  std::atomic<long long> poison{0};
  std::atomic<long long> llm_calls{0};
  std::atomic<long long> input_tokens{0};
  std::atomic<long long> output_tokens{0};
  std::atomic<long long> llm_latency_ms_total{0};
  std::atomic<long long> cancelled{0};            // LLM calls aborted because the buyer cancelled the order
  std::atomic<long long> revisions_delivered{0};  // revision rounds delivered
  std::atomic<long long> late_orders{0};          // started after their deadline
  std::atomic<long long> inputs_rejected{0};      // input_data failed the gig's input_schema
  std::atomic<long long> replies_corrected{0};    // replies that needed the corrective turn
  nlohmann::json to_json() const;
};

// An order id the runtime works with: a UUID or another bounded token (1..64
// characters of A-Z a-z 0-9 _ -). Anything else is skipped, never accepted.
bool valid_order_id(const std::string& id);

// The prompt size beyond which an order is not run: execution.max_input_tokens,
// or by provider the model's context less max_tokens.
long long max_input_tokens(const config::ExecutionSection& execution);

class OrderProcessor {
 public:
  OrderProcessor(const config::Config& config, std::string agent_id, marketplace::Endpoint endpoint,
                 executor::LlmProvider& provider, Journal& journal, Budget& budget, Counters& counters,
                 const Cancellation& hard_stop);

  // For an order the poller found: pending → accepted (when auto_accept) →
  // in_progress. False when another worker or replica got it first (quietly
  // skipped) or the backend could not be reached.
  bool claim(marketplace::MarketplaceClient& client, const nlohmann::json& order);

  // Runs on a worker thread: reuses a saved LLM result when there is one,
  // otherwise calls the model once; then delivers (or keeps it when
  // auto_deliver is off). Never throws. `claim_time`, the time claim() took,
  // counts in the runtime's own time per order that the delivery line logs.
  void process(const nlohmann::json& order, std::chrono::microseconds claim_time = {});

 private:
  void execute_and_deliver(marketplace::MarketplaceClient& client, const std::string& order_id,
                           const nlohmann::json& order, JobRecord record);
  // The LLM call, watched for the buyer's cancellation. nullopt when it
  // failed or was cancelled (recorded in the journal and logged).
  std::optional<executor::LlmResult> call_llm(const executor::LlmRequest& request, JobRecord& record,
                                              marketplace::MarketplaceClient& client);
  // A revision_requested order: the record of the round to work on (a new
  // round begun once, or the round in progress), or nothing when the order is
  // not to be worked (another process began the round, or the gig's
  // max_revisions are used up: recorded and the buyer told).
  std::optional<JobRecord> begin_revision(marketplace::MarketplaceClient& client, const nlohmann::json& order,
                                          const std::optional<JobRecord>& existing);
  // False (the order given up, the buyer told each problem) when the order's
  // input_data does not satisfy its gig's input_schema.
  bool input_acceptable(marketplace::MarketplaceClient& client, const nlohmann::json& order, JobRecord record);
  // The provider request for the order, or nothing when it was given up (too
  // large, unusable input) or must wait (its messages could not be read).
  std::optional<executor::LlmRequest> prepare_request(marketplace::MarketplaceClient& client, const nlohmann::json& row,
                                                      bool row_is_current, JobRecord& record);
  // One LLM call with the failure policy (retry later or give up); nothing
  // when it failed.
  std::optional<executor::LlmResult> ask(marketplace::MarketplaceClient& client, const executor::LlmRequest& request,
                                         JobRecord& record);
  // With delivery.format json and the gig's output_schema: the reply must
  // satisfy it, after at most one corrective turn. False when given up.
  bool check_reply(marketplace::MarketplaceClient& client, const nlohmann::json& row, const executor::LlmRequest& asked,
                   executor::LlmResult& result, JobRecord& record);
  void retry_later(JobRecord& record, const std::string& why);
  // This thread's client: one kept-alive connection per worker instead of a
  // new handle and TCP connection per order.
  marketplace::MarketplaceClient& client_for_this_thread();
  void deliver_saved(marketplace::MarketplaceClient& client, JobRecord record);
  // Poison: applies runtime.failed_order_action. `for_buyer` (when not empty)
  // says why in the buyer's terms and is posted to the order even when the
  // action is leave.
  void give_up(marketplace::MarketplaceClient& client, JobRecord record, const std::string& reason,
               const std::string& for_buyer = "");
  // False (and logged once per id) for an id valid_order_id() refuses.
  bool check_id(const std::string& id);

  const config::Config& config_;
  std::string agent_id_;
  marketplace::Endpoint endpoint_;
  executor::LlmProvider& provider_;
  Journal& journal_;
  Budget& budget_;
  Counters& counters_;
  const Cancellation& hard_stop_;
  std::mutex clients_mutex_;
  std::map<std::thread::id, std::unique_ptr<marketplace::MarketplaceClient>> clients_;
  std::mutex bad_ids_mutex_;
  std::set<std::size_t> bad_ids_reported_;  // hashes: an id may be megabytes long
};

}  // namespace gigent::engine
