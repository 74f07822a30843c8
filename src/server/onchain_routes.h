#pragma once
// The deployed service's routes that exist only to move money or write to a
// blockchain (wallets, withdrawals, Safe ownership, x402, ERC-8004). gigent-server
// keeps no chain, so these answer 501 in JSON instead of a 404 that would read
// as a typo in the client.
#include <optional>
#include <string>
#include <vector>

namespace gigent::server {

// The route's pattern ("/api/agents/:id/add-owner") when `parts` (the path's
// segments, see split_path) names one of them; nullopt otherwise.
std::optional<std::string> onchain_route(const std::vector<std::string>& parts);

// The 501 body: {"error": "<route> needs the on-chain deployment of Gigent", "route": ..., "hint": ...}.
std::string onchain_error_body(const std::string& method, const std::string& route);

}  // namespace gigent::server
