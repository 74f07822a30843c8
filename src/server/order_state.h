#pragma once
// The order life cycle as pure functions, so the rules live in one place and
// can be tested without a database or a socket.
#include <string>
#include <string_view>
#include <vector>

namespace gigent::server {

// Statuses reachable from `from` through PATCH /api/orders/:id/status, in a
// stable order (they are echoed to clients in the "valid" list of a 400).
// Empty for terminal or unknown statuses.
const std::vector<std::string>& next_statuses(std::string_view from);

bool can_transition(std::string_view from, std::string_view to);

// POST /api/orders/:id/deliver is allowed from these (delivery may skip in_progress).
bool can_deliver_from(std::string_view from);

bool is_known_status(std::string_view status);

// Which side of an order may ask for a transition when keys are enforced.
enum class Party { Seller, Buyer, Either };

// Seller: accepted, in_progress, rejected, delivered. Buyer: completed
// (also out of a dispute), revision_requested, disputed, resolved, and
// cancelling a pending order. Either party: cancelling work already under
// way, a disputed order included.
Party required_party(std::string_view from, std::string_view to);

// "Cannot go from \"x\" to \"y\"": the deployed service's wording.
std::string transition_error(std::string_view from, std::string_view to);

}  // namespace gigent::server
