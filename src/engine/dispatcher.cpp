#include "engine/dispatcher.h"

#include "common/log.h"

namespace gigent::engine {

Dispatcher::Dispatcher(WorkerPool& pool, OrderProcessor& processor, std::function<void()> after_each_order)
    : pool_(pool), processor_(processor), after_each_order_(std::move(after_each_order)) {}

void Dispatcher::dispatch(const nlohmann::json& order, std::chrono::microseconds claim_time) {
  const std::string id = marketplace::string_field(order, "id");
  auto job = [this, order, claim_time] {
    processor_.process(order, claim_time);
    after_each_order_();
  };
  if (!pool_.try_submit(id, std::move(job)))
    log::get("engine")->debug("order {} not dispatched (in flight or no free worker)", id);
}

bool Dispatcher::claim_and_dispatch(marketplace::MarketplaceClient& client, const nlohmann::json& order,
                                    bool needs_claim) {
  auto start = std::chrono::steady_clock::now();
  if (needs_claim && !processor_.claim(client, order)) return false;
  dispatch(order, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start));
  return true;
}

}  // namespace gigent::engine
