// gigent-server end to end: the real binary, real sockets, a real SQLite file.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "http/client.h"
#include "integration/server_client.h"
#include "support/process.h"

namespace {

using namespace gigent::testing::server_client;  // NOLINT(google-build-using-namespace)
using gigent::testing::ServerProcess;
using nlohmann::json;

TEST(ServerApi, HealthAnnouncesExtensions) {
  ServerProcess server;
  Api api(server.url());
  auto r = api.get("/api/health");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_EQ(r.body["name"], "Gigent");
  EXPECT_TRUE(r.body["version"].is_string());
  EXPECT_EQ(r.body["stats"], (json{{"agents", 0}, {"gigs", 0}, {"orders", 0}}));
  EXPECT_EQ(r.body["features"], (json{"long_poll", "heartbeat", "gig_patch", "order_status_list", "multi_agent_wait"}));
}

TEST(ServerApi, WholeMarketplaceFlow) {
  Market m;
  auto& api = m.api;
  ASSERT_FALSE(m.seller.key.empty());
  EXPECT_EQ(m.seller.key.substr(0, 3), "sk_");

  auto cats = api.get("/api/categories");
  ASSERT_EQ(cats.body["categories"].size(), 8u);
  for (auto& c : cats.body["categories"])
    if (c["slug"] == "writing") {
      EXPECT_EQ(c["gig_count"], 1);
    }

  auto gigs = api.get("/api/gigs?category=writing");
  ASSERT_EQ(gigs.body["total"], 1);
  EXPECT_EQ(gigs.body["gigs"][0]["id"], m.gig);
  EXPECT_TRUE(gigs.body["gigs"][0]["tags"].is_string());

  std::string order = place_order(api, m.buyer, m.gig);
  auto placed = api.get("/api/orders/" + order, m.buyer.key);
  EXPECT_EQ(placed.body["status"], "pending");
  EXPECT_EQ(placed.body["price"], 5);
  EXPECT_EQ(placed.body["gig_title"], "Blog post");
  EXPECT_EQ(placed.body["buyer_name"], "buyer");
  EXPECT_EQ(placed.body["seller_name"], "seller");

  auto pending = api.get("/api/orders?agent_id=" + m.seller.id + "&role=seller&status=pending", m.seller.key);
  ASSERT_EQ(pending.status, 200);
  ASSERT_EQ(pending.body["orders"].size(), 1u);
  EXPECT_EQ(pending.body["orders"][0]["id"], order);
  EXPECT_FALSE(pending.body.contains("total"));

  for (auto step : {"accepted", "in_progress"}) {
    auto r = api.patch("/api/orders/" + order + "/status", {{"status", step}}, m.seller.key);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["status"], step);
    EXPECT_FALSE(r.body.contains("gig_title"));  // the bare row
  }
  auto delivered = api.post("/api/orders/" + order + "/deliver",
                            {{"delivery_data", {{"content", "# Post"}, {"format", "markdown"}}}}, m.seller.key);
  ASSERT_EQ(delivered.status, 200) << delivered.raw;
  EXPECT_EQ(delivered.body["status"], "delivered");
  ASSERT_TRUE(delivered.body["delivery_data"].is_string());
  EXPECT_EQ(json::parse(delivered.body["delivery_data"].get<std::string>())["content"], "# Post");

  auto message = api.post("/api/orders/" + order + "/messages", {{"content", "thanks"}}, m.buyer.key);
  ASSERT_EQ(message.status, 201) << message.raw;
  EXPECT_EQ(message.body["message_type"], "text");
  EXPECT_EQ(message.body["sender_id"], m.buyer.id);

  auto completed = api.patch("/api/orders/" + order + "/status", {{"status", "completed"}}, m.buyer.key);
  ASSERT_EQ(completed.status, 200) << completed.raw;
  auto full = api.get("/api/orders/" + order, m.seller.key);
  EXPECT_EQ(full.body["status"], "completed");
  ASSERT_EQ(full.body["messages"].size(), 1u);
  EXPECT_EQ(full.body["messages"][0]["content"], "thanks");

  // Heartbeat: is_online on all three agent endpoints.
  EXPECT_EQ(api.get("/api/agents/" + m.seller.id).body["is_online"], false);
  auto beat = api.post("/api/agents/" + m.seller.id + "/heartbeat", json::object(), m.seller.key);
  ASSERT_EQ(beat.status, 200) << beat.raw;
  EXPECT_EQ(beat.body["success"], true);
  EXPECT_EQ(beat.body["agent_id"], m.seller.id);
  EXPECT_EQ(beat.body["last_seen"].get<std::string>().size(), 19u);
  auto profile = api.get("/api/agents/" + m.seller.id);
  EXPECT_EQ(profile.body["is_online"], true);
  EXPECT_EQ(profile.body["gigs"].size(), 1u);
  EXPECT_TRUE(profile.body["reviews"].is_array());
  EXPECT_FALSE(profile.body.contains("api_key_hash"));
  EXPECT_EQ(profile.body["total_orders_completed"], 1);
  auto me = api.get("/api/agents/me", m.seller.key);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["id"], m.seller.id);
  EXPECT_EQ(me.body["is_online"], true);
  EXPECT_TRUE(me.body["pending_orders"].is_array());
  auto list = api.get("/api/agents?limit=100");
  bool found = false;
  for (auto& a : list.body["agents"])
    if (a["id"] == m.seller.id) found = a["is_online"] == true;
  EXPECT_TRUE(found);
  EXPECT_EQ(list.body["total"], 3);
  EXPECT_EQ(api.get("/api/agents?owner_wallet=" + wallet(2)).body["agents"][0]["id"], m.buyer.id);
}

TEST(ServerApi, ETagGivesNotModified) {
  Market m;
  auto first = m.api.call("GET", "/api/gigs");
  ASSERT_EQ(first.status, 200);
  gigent::http::Client client;
  gigent::http::ClientRequest request;
  request.url = m.server.url() + "/api/gigs";
  auto plain = client.perform(request);
  auto etag = plain.response.header("etag");
  ASSERT_TRUE(etag);
  EXPECT_EQ(etag->substr(0, 2), "W/");
  request.headers = {{"If-None-Match", *etag}};
  EXPECT_EQ(client.perform(request).response.status, 304);
  publish_gig(m.api, m.seller);
  EXPECT_EQ(client.perform(request).response.status, 200);
}

TEST(ServerApi, GigPatchIsForTheOwnerOnly) {
  Market m;
  auto r = m.api.patch("/api/gigs/" + m.gig, {{"price_basic", 9}, {"tags", "[\"a\"]"}}, m.seller.key);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["price_basic"], 9);
  EXPECT_EQ(r.body["tags"], "[\"a\"]");
  EXPECT_EQ(m.api.patch("/api/gigs/" + m.gig, {{"price_basic", 1}}, m.buyer.key).status, 403);
  EXPECT_EQ(m.api.patch("/api/gigs/" + m.gig, {{"price_basic", 1}}).status, 401);
  EXPECT_EQ(m.api.get("/api/gigs/" + m.gig).body["price_basic"], 9);
  EXPECT_EQ(m.api.patch("/api/gigs/" + m.gig, {{"status", "paused"}}, m.seller.key).status, 200);
  EXPECT_EQ(m.api.get("/api/gigs").body["total"], 0);
  auto order = m.api.post("/api/orders", {{"gig_id", m.gig}}, m.buyer.key);
  EXPECT_EQ(order.status, 404);
}

// ------------------------------------------------------------------- auth

TEST(ServerAuth, WritesNeedTheRightKey) {
  Market m;
  auto& api = m.api;
  const std::string bad = "sk_" + std::string(48, '0');
  std::string order = place_order(api, m.buyer, m.gig);
  auto status = [&](const std::string& to, const std::string& key) {
    return api.patch("/api/orders/" + order + "/status", {{"status", to}}, key).status;
  };

  // Place an order: buyer's key; the body cannot claim another buyer.
  EXPECT_EQ(api.post("/api/orders", {{"gig_id", m.gig}, {"buyer_id", m.buyer.id}}).status, 401);
  EXPECT_EQ(api.post("/api/orders", {{"gig_id", m.gig}}, bad).status, 401);
  EXPECT_EQ(api.post("/api/orders", {{"gig_id", m.gig}, {"buyer_id", m.buyer.id}}, m.outsider.key).status, 403);
  EXPECT_EQ(api.post("/api/gigs", {{"title", "t"}}).status, 401);

  // pending: seller accepts or rejects; buyer cancels.
  for (auto to : {"accepted", "rejected"}) {
    EXPECT_EQ(status(to, ""), 401) << to;
    EXPECT_EQ(status(to, bad), 401) << to;
    EXPECT_EQ(status(to, m.buyer.key), 403) << to;
    EXPECT_EQ(status(to, m.outsider.key), 403) << to;
  }
  EXPECT_EQ(status("cancelled", m.seller.key), 403);
  EXPECT_EQ(status("cancelled", m.outsider.key), 403);
  EXPECT_EQ(api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}}, m.buyer.key).status, 403);
  EXPECT_EQ(status_of(api, order, m.seller.key), "pending");

  ASSERT_EQ(status("accepted", m.seller.key), 200);
  EXPECT_EQ(status("in_progress", m.buyer.key), 403);
  EXPECT_EQ(status("in_progress", m.outsider.key), 403);
  ASSERT_EQ(status("in_progress", m.seller.key), 200);
  EXPECT_EQ(api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}}).status, 401);
  EXPECT_EQ(api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}}, bad).status, 401);
  EXPECT_EQ(api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}}, m.buyer.key).status, 403);
  EXPECT_EQ(
      api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}, {"agent_id", m.seller.id}}, m.outsider.key)
          .status,
      403);
  EXPECT_EQ(status_of(api, order, m.seller.key), "in_progress");
  ASSERT_EQ(api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}}, m.seller.key).status, 200);

  // delivered: only the buyer completes, asks for a revision or disputes.
  for (auto to : {"completed", "revision_requested", "disputed"}) {
    EXPECT_EQ(status(to, m.seller.key), 403) << to;
    EXPECT_EQ(status(to, m.outsider.key), 403) << to;
    EXPECT_EQ(status(to, ""), 401) << to;
  }
  EXPECT_EQ(status_of(api, order, m.seller.key), "delivered");

  // Messages: either party, nobody else.
  EXPECT_EQ(api.post("/api/orders/" + order + "/messages", {{"content", "hi"}}).status, 401);
  EXPECT_EQ(api.post("/api/orders/" + order + "/messages", {{"content", "hi"}}, m.outsider.key).status, 403);
  EXPECT_EQ(api.post("/api/orders/" + order + "/messages", {{"content", "hi"}, {"sender_id", m.seller.id}}, m.buyer.key)
                .status,
            403);
  EXPECT_EQ(api.post("/api/orders/" + order + "/messages", {{"content", "hi"}}, m.seller.key).status, 201);
  EXPECT_EQ(api.get("/api/orders/" + order, m.buyer.key).body["messages"].size(), 1u);

  // Profile and heartbeat.
  EXPECT_EQ(api.get("/api/agents/me").status, 401);
  EXPECT_EQ(api.get("/api/agents/me", bad).status, 401);
  EXPECT_EQ(api.post("/api/agents/" + m.seller.id + "/heartbeat", json::object(), bad).status, 401);
  EXPECT_EQ(api.post("/api/agents/" + m.seller.id + "/heartbeat", json::object(), m.buyer.key).status, 403);
  EXPECT_EQ(api.post("/api/agents/no-such-agent/heartbeat", json::object()).status, 404);
  EXPECT_EQ(api.get("/api/agents/" + m.seller.id).body["last_seen"], nullptr);
  EXPECT_EQ(api.post("/api/agents/" + m.seller.id + "/heartbeat", json::object()).status, 200);  // public
  EXPECT_EQ(status("completed", m.buyer.key), 200);
}

TEST(ServerAuth, UnauthenticatedModeTrustsTheBody) {
  Market m({"--allow-unauthenticated"});
  auto& api = m.api;
  auto gig = api.post("/api/gigs", {{"agent_id", m.seller.id},
                                    {"title", "t"},
                                    {"description", "d"},
                                    {"category", "code"},
                                    {"price_basic", 3},
                                    {"desc_basic", "b"}});
  ASSERT_EQ(gig.status, 201) << gig.raw;
  auto order = api.post("/api/orders", {{"gig_id", m.gig}, {"buyer_id", m.buyer.id}});
  ASSERT_EQ(order.status, 201) << order.raw;
  std::string id = order.body["id"];
  EXPECT_EQ(api.patch("/api/orders/" + id + "/status", {{"status", "accepted"}, {"agent_id", m.seller.id}}).status,
            200);
  EXPECT_EQ(api.post("/api/orders/" + id + "/deliver", {{"agent_id", m.buyer.id}, {"delivery_data", "x"}}).status, 403);
  EXPECT_EQ(api.post("/api/orders/" + id + "/deliver", {{"agent_id", m.seller.id}, {"delivery_data", "x"}}).status,
            200);
  EXPECT_EQ(api.post("/api/orders/" + id + "/messages", {{"sender_id", m.buyer.id}, {"content", "hi"}}).status, 201);
  // A wrong key is ignored silently, as on the deployed service.
  EXPECT_EQ(api.patch("/api/orders/" + id + "/status", {{"status", "completed"}}, "sk_wrong").status, 200);
  EXPECT_EQ(api.post("/api/orders", {{"gig_id", m.gig}, {"buyer_id", "nobody"}}).status, 404);
}

// -------------------------------------------------------------- bad input

TEST(ServerBadInput, EveryBadRequestIsAJsonFourHundredAndChangesNothing) {
  Market m;
  auto& api = m.api;
  std::string order = place_order(api, m.buyer, m.gig);
  const std::string o = "/api/orders/" + order;
  const json gig_ok = {
      {"title", "t"}, {"description", "d"}, {"category", "code"}, {"price_basic", 1}, {"desc_basic", "b"}};
  auto gig_with = [&](const char* key, const json& value) {
    json g = gig_ok;
    if (value.is_null())
      g.erase(key);
    else
      g[key] = value;
    return g.dump();
  };
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');

  struct Case {
    std::string method, path, body, key;
    int expected;
  };
  const std::string S = m.seller.key, B = m.buyer.key;
  std::vector<Case> cases{
      {"POST", "/api/agents/register", "{bad json", "", 400},
      {"POST", "/api/agents/register", R"({"name":5,"owner_wallet":")" + wallet(7) + "\"}", "", 400},
      {"POST", "/api/agents/register", R"({"owner_wallet":")" + wallet(7) + "\"}", "", 400},
      {"POST", "/api/agents/register", R"({"name":"x","owner_wallet":"0x123"})", "", 400},
      {"POST", "/api/agents/register", R"({"name":"x","owner_wallet":12})", "", 400},
      {"POST", "/api/agents/register", R"({"name":"x"})", "", 400},
      {"POST", "/api/agents/register", "[1,2]", "", 400},
      {"POST", "/api/agents/register", "null", "", 400},
      {"POST", "/api/agents/register", R"({"name":"x","owner_wallet":")" + wallet(8) + R"(","tags":)" + deep + "}", "",
       400},
      {"POST", "/api/gigs", gig_with("price_basic", "abc"), S, 400},
      {"POST", "/api/gigs", gig_with("price_basic", -5), S, 400},
      {"POST", "/api/gigs", gig_with("title", nullptr), S, 400},
      {"POST", "/api/gigs", gig_with("title", json::array({"x"})), S, 400},
      {"POST", "/api/gigs", gig_with("delivery_time_hours", 1.5), S, 400},
      {"POST", "/api/gigs", gig_with("status", "weird"), S, 400},
      {"POST", "/api/orders", R"({"gig_id":"no-such-gig"})", B, 404},
      {"POST", "/api/orders", R"({"gig_id":42})", B, 400},
      {"POST", "/api/orders", R"({})", B, 400},
      {"POST", "/api/orders", R"({"gig_id":")" + m.gig + R"(","tier":"gold"})", B, 400},
      {"POST", "/api/orders", R"({"gig_id":")" + m.gig + R"(","tier":"premium"})", B, 400},
      {"POST", "/api/orders", R"({"gig_id":")" + m.gig + "\"}", S, 400},  // own gig
      {"POST", "/api/orders", R"({"gig_id":)", B, 400},
      {"PATCH", "/api/orders/no-such-order/status", R"({"status":"accepted"})", S, 404},
      {"PATCH", o + "/status", R"({"status":"banana"})", S, 400},
      {"PATCH", o + "/status", R"({})", S, 400},
      {"PATCH", o + "/status", R"({"status":7})", S, 400},
      {"PATCH", o + "/status", R"({"status":"completed"})", B, 400},
      {"PATCH", o + "/status", "not json", S, 400},
      {"POST", o + "/deliver", R"({"delivery_data":"x"})", S, 400},  // still pending
      {"POST", o + "/deliver", R"({})", S, 400},
      {"POST", "/api/orders/no-such-order/deliver", R"({"delivery_data":"x"})", S, 404},
      {"POST", o + "/messages", R"({"content":""})", B, 400},
      {"POST", o + "/messages", R"({"content":5})", B, 400},
      {"POST", "/api/orders/no-such-order/messages", R"({"content":"x"})", B, 404},
      {"PATCH", "/api/gigs/no-such-gig", R"({"price_basic":3})", S, 404},
      {"PATCH", "/api/gigs/" + m.gig, R"({})", S, 400},
      {"PATCH", "/api/gigs/" + m.gig, R"({"price_basic":"cheap"})", S, 400},
      {"POST", "/api/agents/no-such-agent/heartbeat", "{}", "", 404},
      {"GET", "/api/agents/no-such-agent", "", "", 404},
      {"GET", "/api/orders/no-such-order", "", S, 404},
      {"GET", "/api/gigs/no-such-gig", "", "", 404},
      {"GET", "/api/nope", "", "", 404},
      {"GET", "/no-such-page", "", "", 404},
      {"GET", "/api/gigs?min_price=abc", "", "", 400},
      {"GET", "/api/orders?role=admin", "", S, 400},
      {"DELETE", "/api/orders", "", "", 405},
      {"PUT", "/api/gigs/" + m.gig, R"({"title":"x"})", S, 405},
      {"POST", "/api/health", "{}", "", 405},
  };

  auto snapshot = [&] {
    return json{{"health", api.get("/api/health").body["stats"]},
                {"order", api.get(o, S).body},
                {"gig", api.get("/api/gigs/" + m.gig).body},
                {"agents", api.get("/api/agents?limit=100").body}};
  };
  json before = snapshot();
  for (const auto& c : cases) {
    auto r = api.call(c.method, c.path, c.body, c.key);
    std::string what = c.method + " " + c.path + " " + c.body.substr(0, 80);
    EXPECT_EQ(r.status, c.expected) << what << " -> " << r.raw;
    EXPECT_NE(r.status, 500) << what;
    ASSERT_TRUE(r.body.is_object()) << what << " -> " << r.raw.substr(0, 200);
    EXPECT_TRUE(r.body["error"].is_string()) << what << " -> " << r.raw;
  }
  auto invalid = api.call("PATCH", o + "/status", R"({"status":"completed"})", B);
  EXPECT_EQ(invalid.body["error"], "Cannot go from \"pending\" to \"completed\"");
  EXPECT_EQ(invalid.body["valid"], (json{"accepted", "rejected", "cancelled"}));
  EXPECT_EQ(snapshot(), before);
}

TEST(ServerBadInput, OversizedBodyIs413) {
  ServerProcess server;
  std::string huge = R"({"name":")" + std::string(11u << 20, 'a') + R"(","owner_wallet":")" + wallet(1) + "\"}";
  // The server answers 413 and closes while the client may still be sending;
  // the kernel can then reset the connection before the answer is read, so a
  // transport error is retried. An answer, when it comes, must be the 413.
  int answers = 0;
  for (int attempt = 0; attempt < 5 && answers == 0; ++attempt) {
    gigent::http::Client client;
    gigent::http::ClientRequest request;
    request.method = "POST";
    request.url = server.url() + "/api/agents/register";
    request.body = huge;
    auto result = client.perform(request);
    if (!result.ok()) continue;
    ++answers;
    EXPECT_EQ(result.response.status, 413);
    auto body = json::parse(result.response.body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body["error"].is_string()) << result.response.body.substr(0, 200);
  }
  EXPECT_EQ(answers, 1);
  Api fresh(server.url());
  EXPECT_EQ(fresh.get("/api/health").body["stats"]["agents"], 0);
}

TEST(ServerBadInput, InjectionShapedStringsAreStoredLiterally) {
  Market m;
  std::string name = "Robert'); DROP TABLE agents;-- \" \\ \u00e9";
  auto r = m.api.post("/api/agents/register", {{"name", name}, {"owner_wallet", wallet(50)}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(m.api.get("/api/agents/" + r.body["id"].get<std::string>()).body["name"], name);
  auto search = m.api.get("/api/agents?search=" + gigent::http::url_encode("' OR 1=1 --"));
  EXPECT_EQ(search.body["total"], 0);
  auto brief = m.api.post("/api/orders", {{"gig_id", m.gig}, {"brief", "x'; DELETE FROM orders; --"}}, m.buyer.key);
  ASSERT_EQ(brief.status, 201);
  EXPECT_EQ(brief.body["brief"], "x'; DELETE FROM orders; --");
  EXPECT_EQ(m.api.get("/api/health").body["stats"]["agents"], 4);
}

// ------------------------------------------------------- paging, racing

TEST(ServerOrders, PagesOfTwenty) {
  Market m;
  std::set<std::string> placed;
  for (int i = 0; i < 25; ++i) placed.insert(place_order(m.api, m.buyer, m.gig));
  const std::string base = "/api/orders?agent_id=" + m.seller.id + "&role=seller&status=pending";
  auto first = m.api.get(base, m.seller.key);
  auto second = m.api.get(base + "&limit=20&offset=20", m.seller.key);
  ASSERT_EQ(first.body["orders"].size(), 20u);
  ASSERT_EQ(second.body["orders"].size(), 5u);
  std::set<std::string> seen;
  for (auto& o : first.body["orders"]) seen.insert(o["id"]);
  for (auto& o : second.body["orders"]) seen.insert(o["id"]);
  EXPECT_EQ(seen, placed);
  EXPECT_EQ(m.api.get(base + "&limit=0", m.seller.key).body["orders"].size(), 20u);
  EXPECT_EQ(m.api.get(base + "&limit=-1", m.seller.key).body["orders"].size(), 25u);
  EXPECT_EQ(m.api.get(base + "&limit=1000", m.seller.key).body["orders"].size(), 25u);
  EXPECT_EQ(m.api.get(base + "&limit=abc", m.seller.key).body["orders"].size(), 20u);
  EXPECT_EQ(m.api.get(base + "&offset=-3", m.seller.key).body["orders"].size(), 20u);
  EXPECT_EQ(m.api.get("/api/orders?agent_id=" + m.seller.id + "&role=buyer", m.seller.key).body["orders"].size(), 0u);
  EXPECT_EQ(m.api.get("/api/orders?agent_id=" + m.buyer.id + "&limit=100", m.buyer.key).body["orders"].size(), 25u);
}

TEST(ServerOrders, RepeatedPollsSeeEveryChange) {
  Market m;
  const std::string pending = "/api/orders?agent_id=" + m.seller.id + "&role=seller&status=pending";
  EXPECT_EQ(m.api.get(pending, m.seller.key).body["orders"].size(), 0u);
  EXPECT_EQ(m.api.get(pending, m.seller.key).body["orders"].size(), 0u);
  std::string order = place_order(m.api, m.buyer, m.gig);
  auto listed = m.api.get(pending, m.seller.key);
  ASSERT_EQ(listed.body["orders"].size(), 1u);
  EXPECT_EQ(listed.body["orders"][0]["gig_title"], "Blog post");
  ASSERT_EQ(m.api.patch("/api/gigs/" + m.gig, {{"title", "Renamed"}}, m.seller.key).status, 200);
  EXPECT_EQ(m.api.get(pending, m.seller.key).body["orders"][0]["gig_title"], "Renamed");
  ASSERT_EQ(m.api.patch("/api/orders/" + order + "/status", {{"status", "accepted"}}, m.seller.key).status, 200);
  EXPECT_EQ(m.api.get(pending, m.seller.key).body["orders"].size(), 0u);
  EXPECT_EQ(m.api.get("/api/orders?agent_id=" + m.seller.id + "&role=seller&status=accepted", m.seller.key)
                .body["orders"]
                .size(),
            1u);
}

TEST(ServerOrders, ConcurrentAcceptsHaveOneWinner) {
  Market m;
  for (int round = 0; round < 10; ++round) {
    std::string order = place_order(m.api, m.buyer, m.gig);
    std::atomic<bool> go{false};
    auto racer = [&] {
      Api api(m.server.url());
      api.get("/api/health");  // connect before the start line
      while (!go.load()) std::this_thread::yield();
      return api.patch("/api/orders/" + order + "/status", {{"status", "accepted"}}, m.seller.key);
    };
    auto a = std::async(std::launch::async, racer);
    auto b = std::async(std::launch::async, racer);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    go = true;
    Result ra = a.get(), rb = b.get();
    std::multiset<int> statuses{ra.status, rb.status};
    EXPECT_EQ(statuses, (std::multiset<int>{200, 400})) << ra.raw << " / " << rb.raw;
    const Result& loser = ra.status == 400 ? ra : rb;
    EXPECT_EQ(loser.body["error"], "Cannot go from \"accepted\" to \"accepted\"");
    EXPECT_EQ(status_of(m.api, order, m.seller.key), "accepted");
  }
}

// -------------------------------------------------------------- long-poll

TEST(ServerLongPoll, AnswersWhenAnOrderArrives) {
  Market m({"--threads", "1", "--log-level", "debug"});
  const std::string url = "/api/orders?agent_id=" + m.seller.id + "&role=seller&status=pending&wait=30";
  auto waiting = std::async(std::launch::async, [&] {
    Api api(m.server.url());
    return api.get(url, m.seller.key);
  });
  ASSERT_TRUE(
      m.server.process().wait_for_output("long-poll parked for agent " + m.seller.id, std::chrono::seconds(20)));
  // The parked request holds no thread: a one-thread server still answers.
  EXPECT_EQ(m.api.get("/api/health").status, 200);
  ASSERT_EQ(waiting.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  std::string order = place_order(m.api, m.buyer, m.gig);
  auto r = waiting.get();
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["orders"].size(), 1u);
  EXPECT_EQ(r.body["orders"][0]["id"], order);
  // Woken by the order, not by the 30 s deadline.
  EXPECT_NE(m.server.process().stderr_text().find("long-poll for agent " + m.seller.id + " woken by an order"),
            std::string::npos);
  // With a matching order already there, wait answers at once.
  EXPECT_EQ(m.api.get(url, m.seller.key).body["orders"].size(), 1u);
}

TEST(ServerLongPoll, ReturnsEmptyWhenTheWaitExpires) {
  Market m;
  auto r = m.api.get("/api/orders?agent_id=" + m.seller.id + "&role=seller&status=pending&wait=1", m.seller.key);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, (json{{"orders", json::array()}}));
}

TEST(ServerLongPoll, ShutdownAnswersParkedRequests) {
  Market m({"--log-level", "debug"});
  auto waiting = std::async(std::launch::async, [&] {
    Api api(m.server.url());
    return api.get("/api/orders?agent_id=" + m.seller.id + "&role=seller&status=pending&wait=30", m.seller.key);
  });
  // Stop only once the server says the request is parked, and while it is unanswered.
  ASSERT_TRUE(
      m.server.process().wait_for_output("long-poll parked for agent " + m.seller.id, std::chrono::seconds(20)));
  ASSERT_EQ(waiting.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  m.server.process().signal(SIGTERM);
  auto r = waiting.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, (json{{"orders", json::array()}}));
  EXPECT_EQ(m.server.process().wait_exit(std::chrono::seconds(10)), 0);
  // Answered by the shutdown (the process is gone long before the 30 s deadline could).
  EXPECT_NE(m.server.process().stderr_text().find("answering 1 parked long-poll(s) before stopping"),
            std::string::npos);
}

// -------------------------------------------------------------- process

TEST(ServerProcessLife, SigtermExitsZeroAndDataSurvivesRestart) {
  Market m;
  std::string order = place_order(m.api, m.buyer, m.gig);
  m.server.restart();
  Api api(m.server.url());
  EXPECT_EQ(api.get("/api/orders/" + order, m.buyer.key).body["status"], "pending");
  m.server.process().signal(SIGTERM);
  EXPECT_EQ(m.server.process().wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_NE(m.server.process().stderr_text().find("stopping"), std::string::npos);
}

TEST(ServerProcessLife, BadDbPathExitsOneWithAReason) {
  gigent::testing::TempDir dir;
  gigent::testing::SpawnOptions options;
  options.args = {"--port", "0", "--db", "/nonexistent-dir/deeper/g.db"};
  gigent::testing::ChildProcess child(gigent::testing::build_path("gigent-server"), options, dir.path());
  EXPECT_EQ(child.wait_exit(std::chrono::seconds(10)), 1);
  EXPECT_NE(child.stderr_text().find("/nonexistent-dir/deeper/g.db"), std::string::npos);
  EXPECT_EQ(child.stdout_text().find("listening"), std::string::npos);
}

TEST(ServerProcessLife, VersionFlag) {
  gigent::testing::TempDir dir;
  gigent::testing::SpawnOptions options;
  options.args = {"--version"};
  gigent::testing::ChildProcess child(gigent::testing::build_path("gigent-server"), options, dir.path());
  EXPECT_EQ(child.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_NE(child.stdout_text().find("gigent-server "), std::string::npos);
}

TEST(ServerProcessLife, MigratesAnOldDatabaseWithoutLastSeen) {
  gigent::testing::TempDir dir;
  std::string path = dir.file("old.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, "
                         "owner_wallet TEXT UNIQUE, api_key_hash TEXT, status TEXT DEFAULT 'active', "
                         "rating REAL DEFAULT 0, created_at TEXT DEFAULT (datetime('now')));"
                         "INSERT INTO agents (id, name, owner_wallet) VALUES ('old-agent', 'veteran', "
                         "'0x00000000000000000000000000000000000000aa');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ServerProcess server({}, path);
  Api api(server.url());
  auto before = api.get("/api/agents/old-agent");
  ASSERT_EQ(before.status, 200) << before.raw;
  EXPECT_EQ(before.body["name"], "veteran");
  EXPECT_TRUE(before.body["last_seen"].is_null());
  EXPECT_EQ(before.body["is_online"], false);
  ASSERT_EQ(api.post("/api/agents/old-agent/heartbeat", json::object()).status, 200);
  EXPECT_EQ(api.get("/api/agents/old-agent").body["is_online"], true);
  // The old agent can still be found and ordered from.
  auto fresh = register_agent(api, "fresh", 77);
  EXPECT_EQ(api.get("/api/agents?limit=10").body["total"], 2);
  EXPECT_FALSE(fresh.key.empty());
}

}  // namespace
