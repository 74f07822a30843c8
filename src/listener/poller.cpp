#include "listener/poller.h"

#include <algorithm>

namespace gigent::listener {

OrderPages::OrderPages(marketplace::MarketplaceClient& client, std::string agent_id, std::string order_status,
                       int wait_seconds, int page_limit)
    : client_(client),
      agent_id_(std::move(agent_id)),
      status_(std::move(order_status)),
      wait_seconds_(wait_seconds),
      limit_(std::clamp(page_limit, 1, kMaxPage)) {
  for (std::size_t start = 0; start <= status_.size();) {
    const std::size_t comma = std::min(status_.find(',', start), status_.size());
    statuses_.push_back(status_.substr(start, comma - start));
    start = comma + 1;
  }
}

PollResult OrderPages::next(int taken) {
  PollResult out;
  offset_ = std::max(0, offset_ - std::max(0, taken));
  while (!done_) {
    // Only the first page waits: later pages exist only when work is there.
    auto result = client_.list_orders(agent_id_, "seller", status_, {limit_, offset_}, first_ ? wait_seconds_ : 0);
    if (result.too_large && limit_ > 1) {
      limit_ = std::max(1, limit_ / 2);
      continue;
    }
    if (result.too_large) {
      out.unreadable.push_back("the order at position " + std::to_string(offset_ + 1) + " of the " + status_ +
                               " list (newest first): " + result.error);
      offset_ += 1;
      first_ = false;
      continue;
    }
    if (!result.ok()) {
      out.error = result.error;
      return out;
    }
    static const nlohmann::json kMissing;
    const nlohmann::json* listed = &result.body;
    if (result.body.is_object()) {
      auto it = result.body.find("orders");
      listed = it == result.body.end() ? &kMissing : &*it;
    }
    const auto& rows = *listed;
    if (!rows.is_array()) {
      out.error = "order list is not an array";
      return out;
    }
    first_ = false;
    offset_ += static_cast<int>(rows.size());
    done_ = static_cast<int>(rows.size()) < limit_;
    read_rows(rows, out);
    break;
  }
  std::reverse(out.orders.begin(), out.orders.end());  // the API lists newest first
  out.ok = true;
  return out;
}

void OrderPages::read_rows(const nlohmann::json& rows, PollResult& out) {
  for (const auto& order : rows) {
    if (!order.is_object()) {
      out.unreadable.push_back("a row of type " + std::string(order.type_name()) + " in the " + status_ +
                               " list, not an order");
      continue;
    }
    auto id = order.find("id");
    if (id == order.end() || !id->is_string()) {
      out.unreadable.push_back("an order in the " + status_ + " list without a string id");
      continue;
    }
    // The deployed service ignores unknown filters in some versions: check.
    // A status of the wrong type is not the one asked for either.
    auto status = order.find("status");
    if (status != order.end() &&
        (!status->is_string() ||
         std::find(statuses_.begin(), statuses_.end(), status->get_ref<const std::string&>()) == statuses_.end()))
      continue;
    if (seen_.insert(id->get<std::string>()).second) out.orders.push_back(order);
  }
}

Poller::Poller(marketplace::MarketplaceClient& client, std::string agent_id)
    : client_(client), agent_id_(std::move(agent_id)) {}

bool Poller::server_supports_long_poll() {
  return server_has_feature("long_poll");
}

bool Poller::server_has_feature(const std::string& feature) {
  auto health = client_.health();
  if (!health.ok() || !health.body.is_object()) return false;
  auto features = health.body.find("features");
  return features != health.body.end() && features->is_array() &&
         std::find(features->begin(), features->end(), feature) != features->end();
}

PollResult Poller::fetch(const std::string& order_status, int wait_seconds) {
  OrderPages pages(client_, agent_id_, order_status, wait_seconds);
  std::vector<PollResult> read;
  while (!pages.done()) {
    auto page = pages.next();
    if (!page.ok) return page;
    read.push_back(std::move(page));
  }
  PollResult out;
  out.ok = true;
  for (auto page = read.rbegin(); page != read.rend(); ++page) {
    std::move(page->orders.begin(), page->orders.end(), std::back_inserter(out.orders));
    std::move(page->unreadable.begin(), page->unreadable.end(), std::back_inserter(out.unreadable));
  }
  return out;
}

}  // namespace gigent::listener
