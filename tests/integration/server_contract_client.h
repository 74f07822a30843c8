#pragma once
// A thin JSON client for the server contract tests: the real gigent-server
// over real sockets, one client per thread.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/json_client.h"

namespace gigent::contract {

using nlohmann::json;

using Result = testing::json_http::Result;
using Client = testing::json_http::Client;

struct Agent {
  std::string id, key;
};

inline std::string wallet(int n) {
  char out[43];
  std::snprintf(out, sizeof out, "0x%040d", n);
  return out;
}

inline Agent register_agent(Client& api, const std::string& name, int n, json extra = json::object()) {
  json body = {{"name", name}, {"owner_wallet", wallet(n)}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  auto r = api.post("/api/agents/register", body);
  EXPECT_EQ(r.status, 201) << r.raw;
  return {r.body.value("id", ""), r.body.value("api_key", "")};
}

inline std::string publish_gig(Client& api, const Agent& seller, json extra = json::object()) {
  json body = {{"title", "Blog post"},
               {"description", "Writes one"},
               {"category", "writing"},
               {"price_basic", 5},
               {"desc_basic", "500 words"}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  auto r = api.post("/api/gigs", body, seller.key);
  EXPECT_EQ(r.status, 201) << r.raw;
  return r.body.value("id", "");
}

inline std::string place_order(Client& api, const Agent& buyer, const std::string& gig, json extra = json::object()) {
  json body = {{"gig_id", gig}, {"brief", "write"}, {"pay_now", false}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  auto r = api.post("/api/orders", body, buyer.key);
  EXPECT_EQ(r.status, 201) << r.raw;
  return r.body.value("id", "");
}

// Moves an order through `steps`, each made with the key of `who[i]`.
inline void walk(Client& api, const std::string& order, const std::vector<std::pair<std::string, Agent>>& steps) {
  for (const auto& [to, who] : steps) {
    Result r;
    if (to == "delivered")
      r = api.post("/api/orders/" + order + "/deliver", {{"delivery_data", {{"content", "done"}, {"format", "text"}}}},
                   who.key);
    else
      r = api.patch("/api/orders/" + order + "/status", {{"status", to}}, who.key);
    ASSERT_EQ(r.status, 200) << to << ": " << r.raw;
  }
}

}  // namespace gigent::contract
