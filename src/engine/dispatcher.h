#pragma once
// Step 4 of the order loop: a claimed order goes to a free worker, which
// processes it (execute, deliver) and then asks for a state-file write so
// `status` shows the finished order at once.
#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/order_processor.h"
#include "engine/worker_pool.h"

namespace gigent::engine {

class Dispatcher {
 public:
  Dispatcher(WorkerPool& pool, OrderProcessor& processor, std::function<void()> after_each_order);
  bool in_flight(const std::string& order_id) const { return pool_.in_flight(order_id); }
  bool has_free_worker() const { return pool_.has_room(); }
  // `claim_time`: what claiming took, counted in the order's own runtime.
  void dispatch(const nlohmann::json& order, std::chrono::microseconds claim_time);
  // Claims (accept, start) then dispatches; false when the claim failed.
  bool claim_and_dispatch(marketplace::MarketplaceClient& client, const nlohmann::json& order, bool needs_claim);
  WorkerPool& pool() { return pool_; }

 private:
  WorkerPool& pool_;
  OrderProcessor& processor_;
  std::function<void()> after_each_order_;
};

}  // namespace gigent::engine
