#pragma once
// Step 1-2 of the order loop: find the seller's orders in one status, reading
// every page (the TypeScript runtime read only the 20 newest of any status).
// When the server offers long-poll, the first page waits for work server-side.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status_registry.h"
#include "marketplace/client.h"

namespace gigent::listener {

struct PollResult {
  bool ok = false;
  std::string error;
  std::vector<nlohmann::json> orders;  // oldest first
};

class Poller {
 public:
  Poller(marketplace::MarketplaceClient& client, std::string agent_id, StatusRegistry& status);
  // wait_seconds > 0 asks the server to hold the request until an order exists.
  PollResult fetch(const std::string& order_status, int wait_seconds);
  // Does the backend advertise the long-poll extension in /api/health?
  bool server_supports_long_poll();

 private:
  marketplace::MarketplaceClient& client_;
  std::string agent_id_;
  StatusRegistry& status_;
};

}  // namespace gigent::listener
