#include <algorithm>
#include <utility>

#include "server/api.h"
#include "server/api_response.h"

namespace gigent::server {

struct Api::Waiter {
  std::atomic<bool> done{false};
  http::Reply reply;
  OrderFilter filter;
};

// Parks the request until an order event for the agent or the deadline. The
// query runs once more after parking, so an order placed between the first
// query and the parking is not missed.
void Api::park(OrderFilter filter, std::chrono::seconds wait, http::Reply& reply, bool& parked) {
  auto waiter = std::make_shared<Waiter>();
  waiter->filter = std::move(filter);
  {
    std::lock_guard lock(waiters_mutex_);
    if (shutting_down_) return;
    waiter->reply = std::move(reply);
    waiters_.emplace(waiter->filter.agent_id, waiter);
  }
  parked = true;
  api_logger()->debug("long-poll parked for agent {} (up to {} s)", waiter->filter.agent_id, wait.count());
  std::weak_ptr<Waiter> weak = waiter;
  // The timer fires on an I/O thread; the query that answers runs on the pool.
  scheduler_(wait, [this, weak] {
    reads_.post([this, weak] {
      if (auto w = weak.lock()) expire(w);
    });
  });
  if (!store_.list_orders(waiter->filter).empty()) expire(waiter);
}

std::size_t Api::parked_long_polls() {
  std::lock_guard lock(waiters_mutex_);
  return waiters_.size() + multi_parked_.size();
}

void Api::expire(const std::shared_ptr<Waiter>& waiter) {
  {
    std::lock_guard lock(waiters_mutex_);
    auto [first, last] = waiters_.equal_range(waiter->filter.agent_id);
    for (auto it = first; it != last; ++it) {
      if (it->second == waiter) {
        waiters_.erase(it);
        break;
      }
    }
  }
  if (waiter->done.exchange(true)) return;
  http::Response response;
  try {
    response = orders_page(waiter->filter);
  } catch (const std::exception& e) {
    api_logger()->error("long-poll query failed: {}", e.what());
    response = error_response(500, "Internal server error");
  }
  waiter->reply(std::move(response));
}

void Api::notify(const std::vector<std::string>& agent_ids) {
  wake(agent_ids);
  try {
    store_.announce_orders(agent_ids);
  } catch (const std::exception& e) {
    // The change is committed; the other processes' long-polls answer at their deadline.
    api_logger()->warn("could not announce an order change to other processes: {}", e.what());
  }
}

void Api::wake(const std::vector<std::string>& agent_ids) {
  // Recorded before the waiters are looked up: a multi-agent wait registered
  // after the look-up finds the event when it checks, one registered before
  // is woken here.
  for (std::size_t i = 0; i < agent_ids.size(); i += 2)
    events_.record(agent_ids[i], i + 1 < agent_ids.size() ? agent_ids[i + 1] : agent_ids[i]);
  std::vector<std::shared_ptr<Waiter>> woken;
  std::vector<std::shared_ptr<MultiWaiter>> multi;
  {
    std::lock_guard lock(waiters_mutex_);
    for (std::size_t i = 0; i < agent_ids.size(); ++i) {
      auto [first, last] = waiters_.equal_range(agent_ids[i]);
      for (auto it = first; it != last; ++it) woken.push_back(it->second);
      // A multi-agent wait is woken by orders on its side only (a lone last
      // id, which no caller sends, counts for both).
      const bool seller = i % 2 == 0, buyer = !seller || i + 1 == agent_ids.size();
      for (std::size_t side = 0; side < 2; ++side) {
        if (!(side == 0 ? seller : buyer)) continue;
        auto [mfirst, mlast] = multi_waiters_[side].equal_range(agent_ids[i]);
        for (auto it = mfirst; it != mlast; ++it) multi.push_back(it->second);
      }
    }
  }
  std::sort(multi.begin(), multi.end());
  multi.erase(std::unique(multi.begin(), multi.end()), multi.end());
  if (!multi.empty()) {
    reads_.post([this, multi = std::move(multi)] {
      for (const auto& waiter : multi) check_multi(waiter, false);
    });
  }
  if (woken.empty()) return;
  // Answer from the read pool, not inside the write request that caused it.
  reads_.post([this, woken = std::move(woken)] {
    for (const auto& waiter : woken) {
      if (waiter->done.load()) continue;
      try {
        if (store_.list_orders(waiter->filter).empty()) continue;
        api_logger()->debug("long-poll for agent {} woken by an order", waiter->filter.agent_id);
        expire(waiter);
      } catch (const std::exception& e) {
        api_logger()->error("long-poll wake-up failed: {}", e.what());
      }
    }
  });
}

void Api::resync() {
  events_.gap();
  std::vector<std::shared_ptr<MultiWaiter>> multi;
  {
    std::lock_guard lock(waiters_mutex_);
    multi.assign(multi_parked_.begin(), multi_parked_.end());
  }
  if (multi.empty()) return;
  reads_.post([this, multi = std::move(multi)] {
    for (const auto& waiter : multi) check_multi(waiter, false);
  });
}

void Api::shutdown() {
  store_.set_order_listener(nullptr);
  store_.set_missed_listener(nullptr);
  std::vector<std::shared_ptr<Waiter>> all;
  std::vector<std::shared_ptr<MultiWaiter>> multi;
  {
    std::lock_guard lock(waiters_mutex_);
    shutting_down_ = true;
    for (auto& [id, waiter] : waiters_) all.push_back(waiter);
    multi.assign(multi_parked_.begin(), multi_parked_.end());
  }
  if (!all.empty()) api_logger()->info("answering {} parked long-poll(s) before stopping", all.size());
  if (!multi.empty()) api_logger()->info("answering {} parked multi-agent wait(s) before stopping", multi.size());
  for (const auto& waiter : all) expire(waiter);
  for (const auto& waiter : multi) check_multi(waiter, true);
  reads_.stop();
  writes_.stop();
}

}  // namespace gigent::server
