#include "gigent/version.h"
#include "server/api.h"
#include "server/api_response.h"

namespace gigent::server {

http::Response Api::health() {
  return json_response({{"status", "ok"},
                        {"name", "Gigent"},
                        {"version", GIGENT_VERSION},
                        {"stats", store_.stats()},
                        {"features", {"long_poll", "heartbeat", "gig_patch"}}});
}

http::Response Api::categories() {
  Json list = Json::array();
  for (auto& row : store_.categories()) list.push_back(std::move(row));
  return json_response({{"categories", std::move(list)}});
}

}  // namespace gigent::server
