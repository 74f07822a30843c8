#include "server/order_state.h"

#include <array>
#include <utility>

namespace gigent::server {
namespace {

using Edges = std::pair<std::string_view, std::vector<std::string>>;

const std::array<Edges, 6>& edges() {
  static const std::array<Edges, 6> table{{
      {"pending", {"accepted", "rejected", "cancelled"}},
      {"accepted", {"in_progress", "cancelled"}},
      {"in_progress", {"delivered", "cancelled"}},
      {"delivered", {"completed", "revision_requested", "disputed"}},
      {"revision_requested", {"in_progress"}},
      {"disputed", {"resolved", "completed", "cancelled"}},
  }};
  return table;
}

}  // namespace

const std::vector<std::string>& next_statuses(std::string_view from) {
  static const std::vector<std::string> none;
  for (const auto& [status, next] : edges())
    if (status == from) return next;
  return none;
}

bool can_transition(std::string_view from, std::string_view to) {
  for (const auto& next : next_statuses(from))
    if (next == to) return true;
  return false;
}

bool can_deliver_from(std::string_view from) {
  return from == "accepted" || from == "in_progress" || from == "revision_requested";
}

bool is_known_status(std::string_view status) {
  static constexpr std::array<std::string_view, 10> all{
      "pending",   "accepted",  "rejected", "cancelled",          "in_progress",
      "delivered", "completed", "disputed", "revision_requested", "resolved"};
  for (auto s : all)
    if (s == status) return true;
  return false;
}

Party required_party(std::string_view from, std::string_view to) {
  if (to == "accepted" || to == "in_progress" || to == "rejected" || to == "delivered") return Party::Seller;
  if (to == "completed" || to == "revision_requested" || to == "disputed") return Party::Buyer;
  // The dispute is the buyer's: it withdraws it (completed) or accepts an
  // outcome (resolved); the seller may only cancel the order.
  if (to == "resolved") return Party::Buyer;
  if (to == "cancelled" && from == "pending") return Party::Buyer;
  return Party::Either;
}

std::string transition_error(std::string_view from, std::string_view to) {
  std::string out = "Cannot go from \"";
  out += from;
  out += "\" to \"";
  out += to;
  out += "\"";
  return out;
}

}  // namespace gigent::server
