#include "server/order_events.h"

#include <charconv>

#include "common/secret.h"

namespace gigent::server {

OrderEvents::OrderEvents() : instance_(random_hex(8)) {}

std::uint64_t OrderEvents::record(const std::string& seller, const std::string& buyer) {
  std::lock_guard lock(mutex_);
  ++seq_;
  last_[seller].seller = seq_;
  last_[buyer].buyer = seq_;
  return seq_;
}

std::uint64_t OrderEvents::now() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

std::vector<std::string> OrderEvents::changed_since(const std::vector<std::string>& agents, OrderSide side,
                                                    std::uint64_t since) const {
  std::vector<std::string> changed;
  std::lock_guard lock(mutex_);
  if (since < floor_) return agents;
  if (since >= seq_) return changed;
  for (const auto& agent : agents) {
    auto it = last_.find(agent);
    if (it == last_.end()) continue;
    if ((side == OrderSide::Seller ? it->second.seller : it->second.buyer) > since) changed.push_back(agent);
  }
  return changed;
}

std::string OrderEvents::cursor(std::uint64_t seq) const {
  return instance_ + "-" + std::to_string(seq);
}

std::optional<std::uint64_t> OrderEvents::parse_cursor(std::string_view cursor) const {
  if (cursor.size() <= instance_.size() + 1 || cursor.substr(0, instance_.size()) != instance_ ||
      cursor[instance_.size()] != '-')
    return std::nullopt;
  std::string_view digits = cursor.substr(instance_.size() + 1);
  std::uint64_t seq = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (seq > seq_ || seq < floor_) return std::nullopt;  // never handed out, or from before a gap
  return seq;
}

void OrderEvents::gap() {
  std::lock_guard lock(mutex_);
  floor_ = ++seq_;
}

std::size_t OrderEvents::agents_tracked() const {
  std::lock_guard lock(mutex_);
  return last_.size();
}

}  // namespace gigent::server
