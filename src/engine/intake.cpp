#include "engine/intake.h"

#include "common/log.h"
#include "engine/acceptance.h"

namespace gigent::engine {

OrderIntake::OrderIntake(const config::Config& config, marketplace::MarketplaceClient& client, Journal& journal,
                         Budget& budget, Dispatcher& dispatcher, Reconciler& reconciler)
    : config_(config),
      client_(client),
      journal_(journal),
      budget_(budget),
      dispatcher_(dispatcher),
      reconciler_(reconciler) {}

bool OrderIntake::may_accept(const std::string& id, const nlohmann::json& order) {
  if (marketplace::string_field(order, "status") != "pending") return true;  // already ours: finished regardless
  if (const auto why = left_for_operator(config_, order)) {
    if (held_logged_.size() > 10000) held_logged_.clear();  // bounded; at worst a line is logged again
    if (held_logged_.insert(id).second)
      log::get("engine")->info(
          "order {} left pending for the operator: {}; accept it with `gigent-runtime accept {}` (see `status`)", id,
          *why, id);
    return false;
  }
  return budget_.may_accept_new_order();
}

void OrderIntake::wait_for_free_worker(const Cancellation& stop) {
  dispatcher_.pool().wait_for_free_slot([&stop] { return stop.cancelled(); });
}

listener::OrderSink::Taken OrderIntake::take(const nlohmann::json& order) {
  std::string id = marketplace::string_field(order, "id");
  if (dispatcher_.in_flight(id)) return Taken::No;
  try {
    auto record = journal_.get(id);
    // Given up, or cancelled by its buyer mid-call: never run again.
    if (record && (record->state == JobState::Poison || record->state == JobState::Cancelled)) return Taken::No;
    if (!may_accept(id, order)) return Taken::No;
    return dispatcher_.claim_and_dispatch(client_, order, true) ? Taken::Yes : Taken::No;
  } catch (const JournalError& e) {
    // Nothing was sent to the backend before the journal write failed: the
    // order stays pending and is taken once the journal is writable.
    log::get("engine")->error("order {}: cannot record it in the journal ({}); not taking orders until it is writable",
                              id, e.what());
    return Taken::Pause;
  } catch (const std::exception& e) {
    log::get("engine")->error("order {}: skipped: {}", id, e.what());
    return Taken::No;
  }
}

}  // namespace gigent::engine
