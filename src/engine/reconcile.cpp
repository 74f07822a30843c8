#include "engine/reconcile.h"

#include <ctime>
#include <vector>

#include "common/log.h"
#include "listener/poller.h"
#include "marketplace/order_status.h"

namespace gigent::engine {

namespace {

// How often due() reads the journal for a dead replica's records: it is asked
// at every free worker.
constexpr std::chrono::seconds kOrphanLookInterval{1};

const std::vector<JobState> kUnfinished = {JobState::Claimed, JobState::Started, JobState::ResultReady,
                                           JobState::Failed};

// Written last by another process that is gone, with work left that is due now.
bool orphaned(const JobRecord& record) {
  if (record.owner_pid == 0 || owned_by_this_process(record) || held_by_another_live_process(record)) return false;
  return record.state != JobState::Failed || record.next_attempt_at <= static_cast<long long>(std::time(nullptr));
}

}  // namespace

Reconciler::Reconciler(const config::Config& config, std::string agent_id, marketplace::MarketplaceClient& client,
                       Journal& journal, Dispatcher& dispatcher)
    : config_(config), agent_id_(std::move(agent_id)), client_(client), journal_(journal), dispatcher_(dispatcher) {}

void Reconciler::run() {
  // The dead replicas' records this run looks at are no reason for another
  // run: due() waits for new ones (those this run leaves, it leaves to the
  // next scheduled run).
  if (config_.runtime.allow_replicas) {
    if (orphans_seen_.size() > 10000) orphans_seen_.clear();  // bounded; at worst one more early run
    for (const auto& record : journal_.in_states(kUnfinished))
      if (orphaned(record)) orphans_seen_.insert(record.order_id);
  }
  unfinished_ = false;
  std::set<std::string> open_on_backend;
  for (const char* st : {"accepted", "in_progress"}) {
    const Resumed resumed = resume(st, open_on_backend);
    if (resumed != Resumed::All) {
      // Out of workers: the rest goes to the next free ones, before new
      // orders. A list that cannot be read waits for the next scheduled run.
      unfinished_ = resumed == Resumed::NoFreeWorker;
      return;
    }
  }
  close_finished(open_on_backend);
}

bool Reconciler::due() {
  if (unfinished_) return true;
  if (!config_.runtime.allow_replicas) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_orphan_look_ < kOrphanLookInterval) return false;
  last_orphan_look_ = now;
  try {
    for (const auto& record : journal_.in_states(kUnfinished))
      if (orphaned(record) && orphans_seen_.count(record.order_id) == 0 && !dispatcher_.in_flight(record.order_id))
        return true;
  } catch (const JournalError&) {
    return false;  // the scheduled run meets the same error and reports it
  }
  return false;
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

Reconciler::Resumed Reconciler::resume(const std::string& backend_status, std::set<std::string>& open_on_backend) {
  auto log = log::get("engine");
  listener::Poller poller(client_, agent_id_);
  auto found = poller.fetch(backend_status);
  if (!found.ok) {
    log->warn("reconcile: cannot list {} orders: {}", backend_status, found.error);
    return Resumed::ListFailed;
  }
  for (const auto& order : found.orders) {
    std::string id = marketplace::string_field(order, "id");
    open_on_backend.insert(id);
    auto record = journal_.get(id);
    if (!should_resume(id, record, backend_status)) continue;
    if (!dispatcher_.has_free_worker()) return Resumed::NoFreeWorker;
    log->info("resuming order {} ({}{})", id, backend_status,
              record && record->state == JobState::ResultReady ? ", result already saved" : "");
    dispatcher_.claim_and_dispatch(client_, order, backend_status == "accepted");
  }
  return Resumed::All;
}

void Reconciler::close_finished(const std::set<std::string>& open_on_backend) {
  auto log = log::get("engine");
  for (auto& record :
       journal_.in_states({JobState::Claimed, JobState::Started, JobState::ResultReady, JobState::Failed})) {
    if (open_on_backend.count(record.order_id) || dispatcher_.in_flight(record.order_id)) continue;
    // A live replica's record is that replica's to close: it may be
    // claiming the order right now, and the pending status read here would
    // be stale by the time its record was forgotten.
    if (config_.runtime.allow_replicas && held_by_another_live_process(record)) continue;
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
