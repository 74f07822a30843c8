#include "server/onchain_routes.h"

#include <nlohmann/json.hpp>

namespace gigent::server {

std::optional<std::string> onchain_route(const std::vector<std::string>& parts) {
  const std::size_t n = parts.size();
  if (n == 2 && parts[0] == ".well-known" && parts[1] == "agent-registration.json")
    return "/.well-known/agent-registration.json";
  if (n < 2 || parts[0] != "api") return std::nullopt;
  const std::string& resource = parts[1];
  if (resource == "wallets") return "/api/wallets/*";
  if (resource == "reputation") return "/api/reputation/*";
  if (resource == "agents") {
    if (n == 3 && parts[2] == "withdraw") return "/api/agents/withdraw";
    if (n == 4) {
      for (const char* leaf : {"owner-withdraw", "add-owner", "safe-status", "registration.json"})
        if (parts[3] == leaf) return "/api/agents/:id/" + parts[3];
    }
  }
  if (resource == "gigs" && n == 4 && parts[3] == "purchase") return "/api/gigs/:id/purchase";
  return std::nullopt;
}

std::string onchain_error_body(const std::string& method, const std::string& route) {
  nlohmann::ordered_json body{
      {"error", method + " " + route + " needs the on-chain deployment of Gigent"},
      {"route", route},
      {"hint",
       "gigent-server keeps no wallets, escrow or on-chain registries: orders are placed with pay_now: false and "
       "settled outside the marketplace."}};
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace gigent::server
