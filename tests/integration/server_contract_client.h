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

#include "http/client.h"

namespace gigent::contract {

using nlohmann::json;

struct Result {
  int status = 0;
  json body;
  std::string raw;
  std::map<std::string, std::string> headers;  // keys lowercased

  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
 public:
  explicit Client(std::string base) : base_(std::move(base)) {}

  Result call(const std::string& method, const std::string& path, const std::string& body = "",
              const std::string& key = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
    gigent::http::ClientRequest request;
    request.method = method;
    request.url = base_ + path;
    request.body = body;
    request.total_timeout = std::chrono::seconds(60);
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    if (!key.empty()) request.headers.emplace_back("X-API-Key", key);
    for (auto& h : headers) request.headers.push_back(h);
    auto result = client_.perform(request);
    EXPECT_TRUE(result.ok()) << method << " " << path << ": " << result.error;
    Result out{result.response.status, json(), result.response.body, result.response.headers};
    if (!out.raw.empty()) out.body = json::parse(out.raw, nullptr, false);
    return out;
  }
  Result get(const std::string& path, const std::string& key = "") { return call("GET", path, "", key); }
  Result post(const std::string& path, const json& body, const std::string& key = "") {
    return call("POST", path, body.dump(), key);
  }
  Result patch(const std::string& path, const json& body, const std::string& key = "") {
    return call("PATCH", path, body.dump(), key);
  }
  Result del(const std::string& path, const std::string& key = "") { return call("DELETE", path, "", key); }

 private:
  std::string base_;
  gigent::http::Client client_;
};

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
