#include "engine/reconcile.h"

#include <ctime>

#include "common/log.h"
#include "listener/poller.h"
#include "marketplace/order_status.h"

namespace gigent::engine {

Reconciler::Reconciler(const config::Config& config, std::string agent_id, marketplace::MarketplaceClient& client,
                       Journal& journal, Dispatcher& dispatcher)
    : config_(config), agent_id_(std::move(agent_id)), client_(client), journal_(journal), dispatcher_(dispatcher) {}

void Reconciler::run() {
  std::set<std::string> open_on_backend;
  for (const char* st : {"accepted", "in_progress"})
    if (!resume(st, open_on_backend)) return;
  close_finished(open_on_backend);
}

bool Reconciler::should_resume(const std::string& id, const std::optional<JobRecord>& record,
                               const std::string& backend_status) const {
  if (dispatcher_.in_flight(id)) return false;
  // With replicas, an order in progress without a journal entry here belongs
  // to another replica, and so does one whose record a live replica wrote
  // last. An accepted one without an entry was accepted by hand (`gigent-runtime
  // accept`, the web page): claim() records it with an insert that exactly one
  // replica wins.
  if (config_.runtime.allow_replicas &&
      ((!record && backend_status != "accepted") || (record && held_by_another_live_process(*record))))
    return false;
  if (!record) return true;
  switch (record->state) {
    case JobState::Poison:
    case JobState::AwaitingDelivery:
    case JobState::Delivered:
    case JobState::Closed:
    case JobState::Cancelled:
      return false;
    default:
      return record->next_attempt_at <= static_cast<long long>(std::time(nullptr));
  }
}

bool Reconciler::resume(const std::string& backend_status, std::set<std::string>& open_on_backend) {
  auto log = log::get("engine");
  listener::Poller poller(client_, agent_id_);
  auto found = poller.fetch(backend_status);
  if (!found.ok) {
    log->warn("reconcile: cannot list {} orders: {}", backend_status, found.error);
    return false;
  }
  for (const auto& order : found.orders) {
    std::string id = marketplace::string_field(order, "id");
    open_on_backend.insert(id);
    auto record = journal_.get(id);
    if (!should_resume(id, record, backend_status)) continue;
    if (!dispatcher_.has_free_worker()) return false;
    log->info("resuming order {} ({}{})", id, backend_status,
              record && record->state == JobState::ResultReady ? ", result already saved" : "");
    dispatcher_.claim_and_dispatch(client_, order, backend_status == "accepted");
  }
  return true;
}

void Reconciler::close_finished(const std::set<std::string>& open_on_backend) {
  auto log = log::get("engine");
  for (auto& record :
       journal_.in_states({JobState::Claimed, JobState::Started, JobState::ResultReady, JobState::Failed})) {
    if (open_on_backend.count(record.order_id) || dispatcher_.in_flight(record.order_id)) continue;
    auto current = client_.get_order(record.order_id);
    if (!current.ok()) continue;
    std::string st = marketplace::string_field(current.body, "status");
    if (marketplace::is_delivered_or_later(st)) {
      record.state = JobState::Delivered;
    } else if (marketplace::is_closed_undelivered(st)) {
      record.state = JobState::Closed;
    } else if (st == "pending") {
      journal_.forget(record.order_id);  // never accepted: the poller will see it again
      continue;
    } else {
      continue;
    }
    journal_.put(record);
    log->info("order {} is {} on the backend; closed in the journal", record.order_id, st);
  }
}

}  // namespace gigent::engine
