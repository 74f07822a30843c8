#pragma once
// Step 3 of the order loop: what the poll loop hands each listed order to.
// An order is skipped when it is in flight or given up; otherwise it is
// claimed on the backend (journal first) and dispatched to a worker.
#include "engine/dispatcher.h"
#include "engine/journal.h"
#include "engine/reconcile.h"
#include "listener/poll_loop.h"

namespace gigent::engine {

class OrderIntake final : public listener::OrderSink {
 public:
  OrderIntake(marketplace::MarketplaceClient& client, Journal& journal, Dispatcher& dispatcher, Reconciler& reconciler);
  void wait_for_free_worker(const Cancellation& stop) override;
  bool has_free_worker() override { return dispatcher_.has_free_worker(); }
  Taken take(const nlohmann::json& order) override;
  void housekeeping() override { reconciler_.run(); }

 private:
  marketplace::MarketplaceClient& client_;
  Journal& journal_;
  Dispatcher& dispatcher_;
  Reconciler& reconciler_;
};

}  // namespace gigent::engine
