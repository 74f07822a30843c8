#include "engine/cancel_watch.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "marketplace/order_status.h"

namespace gigent::engine {

namespace {
// The hard stop has no descriptor to wait on together with `stopping_`, so
// the watcher looks at it this often: shutdown still aborts a call at once
// for practical purposes.
constexpr std::chrono::milliseconds kStep{100};
}  // namespace

CancelWatch::CancelWatch(marketplace::Endpoint endpoint, std::string order_id, const Cancellation& hard_stop,
                         std::chrono::milliseconds interval)
    : order_id_(std::move(order_id)), hard_stop_(hard_stop), interval_(interval) {
  if (hard_stop_.cancelled()) call_.cancel();
  // A status read is small and must not hold the watcher long.
  endpoint.timeout = std::min(endpoint.timeout, std::chrono::milliseconds(10000));
  thread_ = std::thread([this, endpoint = std::move(endpoint), agent = log::current_agent()]() mutable {
    const log::AgentScope scope(agent);  // its lines name the agent of the order it watches
    run(std::move(endpoint));
  });
}

CancelWatch::~CancelWatch() {
  stopping_.cancel();
  if (thread_.joinable()) thread_.join();
}

std::string CancelWatch::closed_status() const {
  std::lock_guard lock(mutex_);
  return closed_status_;
}

void CancelWatch::run(marketplace::Endpoint endpoint) {
  // Its transfers stop when the call is over, so the destructor never waits
  // for a slow backend.
  marketplace::MarketplaceClient client(std::move(endpoint), &stopping_);
  auto next_check = std::chrono::steady_clock::now() + interval_;
  while (stopping_.wait_for(kStep)) {
    if (hard_stop_.cancelled()) {
      call_.cancel();
      return;
    }
    if (std::chrono::steady_clock::now() < next_check) continue;
    if (check(client)) return;
    next_check = std::chrono::steady_clock::now() + interval_;
  }
}

bool CancelWatch::check(marketplace::MarketplaceClient& client) {
  auto current = client.get_order(order_id_);
  if (!current.ok()) return false;  // the backend's trouble is not the buyer's word; look again later
  const std::string status = marketplace::string_field(current.body, "status");
  if (!marketplace::is_closed_undelivered(status)) return false;
  {
    std::lock_guard lock(mutex_);
    closed_status_ = status;
  }
  buyer_cancelled_ = true;
  call_.cancel();
  return true;
}

}  // namespace gigent::engine
