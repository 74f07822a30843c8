#pragma once
// A JSON client for the real gigent-server and a small marketplace to test
// against, shared by the server_* integration tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/json_client.h"
#include "support/process.h"

namespace gigent::testing::server_client {

using nlohmann::json;

using Result = json_http::Result;
using Api = json_http::Client;

struct Agent {
  std::string id, key;
};

inline std::string wallet(int n) {
  char out[43];
  std::snprintf(out, sizeof out, "0x%040d", n);
  return out;
}

inline Agent register_agent(Api& api, const std::string& name, int n) {
  auto r = api.post("/api/agents/register", {{"name", name}, {"owner_wallet", wallet(n)}, {"tags", {"x"}}});
  EXPECT_EQ(r.status, 201) << r.raw;
  return {r.body.value("id", ""), r.body.value("api_key", "")};
}

inline std::string publish_gig(Api& api, const Agent& seller) {
  auto r = api.post("/api/gigs",
                    {{"title", "Blog post"},
                     {"description", "Writes one"},
                     {"category", "writing"},
                     {"price_basic", 5},
                     {"desc_basic", "500 words"},
                     {"delivery_time_hours", 24}},
                    seller.key);
  EXPECT_EQ(r.status, 201) << r.raw;
  return r.body.value("id", "");
}

inline std::string place_order(Api& api, const Agent& buyer, const std::string& gig) {
  auto r = api.post("/api/orders", {{"gig_id", gig}, {"brief", "write"}, {"pay_now", false}}, buyer.key);
  EXPECT_EQ(r.status, 201) << r.raw;
  return r.body.value("id", "");
}

inline std::string status_of(Api& api, const std::string& order, const std::string& key) {
  return api.get("/api/orders/" + order, key).body.value("status", "");
}

// A server with a seller, a buyer, an outsider and one gig.
struct Market {
  ServerProcess server;
  Api api{server.url()};
  Agent seller = register_agent(api, "seller", 1);
  Agent buyer = register_agent(api, "buyer", 2);
  Agent outsider = register_agent(api, "outsider", 3);
  std::string gig = publish_gig(api, seller);

  explicit Market(std::vector<std::string> args = {}) : server(std::move(args)) {}
};

}  // namespace gigent::testing::server_client
