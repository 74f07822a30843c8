#include "engine/intake.h"

#include "common/log.h"

namespace gigent::engine {

OrderIntake::OrderIntake(marketplace::MarketplaceClient& client, Journal& journal, Dispatcher& dispatcher,
                         Reconciler& reconciler)
    : client_(client), journal_(journal), dispatcher_(dispatcher), reconciler_(reconciler) {}

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
