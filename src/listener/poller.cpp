#include "listener/poller.h"

#include <algorithm>
#include <set>

namespace gigent::listener {

Poller::Poller(marketplace::MarketplaceClient& client, std::string agent_id, StatusRegistry& status)
    : client_(client), agent_id_(std::move(agent_id)), status_(status) {}

bool Poller::server_supports_long_poll() {
  auto health = client_.health();
  if (!health.ok() || !health.body.is_object()) return false;
  auto features = health.body.value("features", nlohmann::json::array());
  return features.is_array() && std::find(features.begin(), features.end(), "long_poll") != features.end();
}

PollResult Poller::fetch(const std::string& order_status, int wait_seconds) {
  PollResult out;
  std::set<std::string> seen;  // rows can shift between pages while orders arrive
  marketplace::Page page{100, 0};
  status_.set_state("poller", wait_seconds > 0 ? "waiting for orders (long-poll)" : "polling");
  while (true) {
    // Only the first page waits: later pages exist only when work is there.
    auto result = client_.list_orders(agent_id_, "seller", order_status, page, page.offset == 0 ? wait_seconds : 0);
    if (!result.ok()) {
      out.error = result.error;
      status_.record_failure("poller", result.error);
      return out;
    }
    const auto& orders = result.body.is_object() ? result.body.value("orders", nlohmann::json()) : result.body;
    if (!orders.is_array()) {
      out.error = "order list is not an array";
      status_.record_failure("poller", out.error);
      return out;
    }
    for (const auto& order : orders) {
      if (!order.is_object() || !order.contains("id") || !order["id"].is_string()) continue;
      // The deployed service ignores unknown filters in some versions: check.
      // A status of the wrong type is not the one asked for either.
      auto status = order.find("status");
      if (status != order.end() && (!status->is_string() || status->get<std::string>() != order_status)) continue;
      if (seen.insert(order["id"].get<std::string>()).second) out.orders.push_back(order);
    }
    if (static_cast<int>(orders.size()) < page.limit) break;
    page.offset += page.limit;
  }
  std::reverse(out.orders.begin(), out.orders.end());  // the API lists newest first
  out.ok = true;
  status_.record_success("poller");
  return out;
}

}  // namespace gigent::listener
