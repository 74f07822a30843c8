#pragma once
// Step 3 of the order loop: what the poll loop hands each listed order to.
// An order is skipped when it is in flight or given up; otherwise it is
// claimed on the backend (journal first) and dispatched to a worker.
#include <mutex>
#include <set>
#include <string>

#include "config/config.h"
#include "engine/budget.h"
#include "engine/dispatcher.h"
#include "engine/journal.h"
#include "engine/reconcile.h"
#include "listener/poll_loop.h"

namespace gigent::engine {

class OrderIntake final : public listener::OrderSink {
 public:
  OrderIntake(const config::Config& config, marketplace::MarketplaceClient& client, Journal& journal, Budget& budget,
              Dispatcher& dispatcher, Reconciler& reconciler);
  void wait_for_free_worker(const Cancellation& stop) override;
  bool has_free_worker() override { return dispatcher_.has_free_worker(); }
  Taken take(const nlohmann::json& order) override;
  void housekeeping() override { reconciler_.run(); }
  bool housekeeping_due() override { return reconciler_.due(); }

 private:
  // False for a pending order the acceptance rule or the day's budget leaves
  // pending; the reason is logged once per order (the rule) or per day (the budget).
  bool may_accept(const std::string& id, const nlohmann::json& order);

  const config::Config& config_;
  marketplace::MarketplaceClient& client_;
  Journal& journal_;
  Budget& budget_;
  Dispatcher& dispatcher_;
  Reconciler& reconciler_;
  std::set<std::string> held_logged_;  // orders left for the operator, each logged once
};

}  // namespace gigent::engine
