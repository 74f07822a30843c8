#include "gigent/version.h"
#include "server/api.h"
#include "server/api_response.h"

namespace gigent::server {

http::Response Api::health() {
  return json_response({{"status", "ok"},
                        {"name", "Gigent"},
                        {"version", GIGENT_VERSION},
                        {"stats", store_.stats()},
                        {"features", {"long_poll", "heartbeat", "gig_patch", "order_status_list", "multi_agent_wait"}},
                        // Clients of the deployed service read this object; no
                        // on-chain registry stands behind this server.
                        {"erc8004",
                         {{"compliant", false},
                          {"note",
                           "gigent-server keeps no on-chain registries; the ERC-8004 "
                           "routes answer 501"}}}});
}

http::Response Api::categories() {
  Json list = Json::array();
  for (auto& row : store_.categories()) list.push_back(std::move(row));
  return json_response({{"categories", std::move(list)}});
}

}  // namespace gigent::server
