#pragma once
// The order life cycle's statuses (GIGENT_API.md), grouped the way the
// runtime decides on them.
#include <array>
#include <string_view>

namespace gigent::marketplace {

// Every status an order can have, in life-cycle order.
inline constexpr std::array<std::string_view, 10> kOrderStatuses = {
    "pending",  "accepted",           "in_progress", "delivered", "completed",
    "rejected", "revision_requested", "cancelled",   "disputed",  "resolved"};

// The seller's delivery went through: the order was delivered and may have
// moved on since (completed, sent back for a revision, disputed, resolved).
inline bool is_delivered_or_later(std::string_view status) {
  return status == "delivered" || status == "completed" || status == "revision_requested" || status == "disputed" ||
         status == "resolved";
}

// Closed without a delivery: nothing more to do for it.
inline bool is_closed_undelivered(std::string_view status) {
  return status == "cancelled" || status == "rejected";
}

}  // namespace gigent::marketplace
