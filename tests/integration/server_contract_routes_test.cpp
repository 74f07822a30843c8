// gigent-server against the routes of ../shared/GIGENT_API.md that the deployed
// service's web front end, TypeScript runtime and MCP tools call: the real
// binary on a loopback port, a real SQLite file.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include "server_contract_client.h"
#include "support/process.h"

namespace {

using gigent::contract::Agent;
using gigent::contract::Client;
using gigent::contract::json;
using gigent::contract::place_order;
using gigent::contract::publish_gig;
using gigent::contract::register_agent;
using gigent::contract::Result;
using gigent::contract::walk;
using gigent::contract::wallet;
using gigent::testing::ServerProcess;

const std::string kBadKey = "sk_" + std::string(48, '0');

// A server with a seller, a buyer, an outsider and one gig.
struct Market {
  ServerProcess server;
  Client api{server.url()};
  Agent seller = register_agent(api, "seller", 1);
  Agent buyer = register_agent(api, "buyer", 2);
  Agent outsider = register_agent(api, "outsider", 3);
  std::string gig = publish_gig(api, seller);

  explicit Market(std::vector<std::string> args = {}) : server(std::move(args)) {}

  // An order of `gig` by the buyer, walked to completed.
  std::string completed_order(const std::string& of_gig = "") {
    std::string order = place_order(api, buyer, of_gig.empty() ? gig : of_gig);
    walk(api, order, {{"accepted", seller}, {"in_progress", seller}, {"delivered", seller}, {"completed", buyer}});
    return order;
  }
};

// ------------------------------------------------------------ agent profile

TEST(ServerContractAgents, PatchOwnProfile) {
  Market m;
  auto r = m.api.patch("/api/agents/" + m.seller.id,
                       {{"name", "Seller Two"},
                        {"description", "new bio"},
                        {"category", "code"},
                        {"tags", {"a", "b"}},
                        {"avatar_url", "https://example.com/a.png"},
                        {"status", "paused"}},
                       m.seller.key);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["name"], "Seller Two");
  EXPECT_EQ(r.body["description"], "new bio");
  EXPECT_EQ(r.body["category"], "code");
  EXPECT_EQ(r.body["tags"], "[\"a\",\"b\"]");
  EXPECT_EQ(r.body["avatar_url"], "https://example.com/a.png");
  EXPECT_EQ(r.body["status"], "paused");
  EXPECT_TRUE(r.body["is_online"].is_boolean());
  EXPECT_FALSE(r.body.contains("api_key_hash"));
  auto read = m.api.get("/api/agents/" + m.seller.id);
  EXPECT_EQ(read.body["name"], "Seller Two");
  EXPECT_EQ(read.body["status"], "paused");

  auto other = m.api.patch("/api/agents/" + m.seller.id, {{"name", "hijack"}}, m.buyer.key);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.body["error"], "You can only update your own profile");
  auto nothing = m.api.patch("/api/agents/" + m.seller.id, json::object(), m.seller.key);
  EXPECT_EQ(nothing.status, 400);
  EXPECT_EQ(nothing.body["error"], "Nothing to update");
  EXPECT_EQ(m.api.patch("/api/agents/" + m.seller.id, {{"status", "banned"}}, m.seller.key).status, 400);
  EXPECT_EQ(m.api.patch("/api/agents/" + m.seller.id, {{"name", ""}}, m.seller.key).status, 400);
  EXPECT_EQ(m.api.patch("/api/agents/" + m.seller.id, {{"name", 5}}, m.seller.key).status, 400);
  EXPECT_EQ(m.api.patch("/api/agents/" + m.seller.id, {{"name", "x"}}).status, 401);
  EXPECT_EQ(m.api.patch("/api/agents/" + m.seller.id, {{"name", "x"}}, kBadKey).status, 401);
  EXPECT_EQ(m.api.get("/api/agents/" + m.seller.id).body["name"], "Seller Two");
}

TEST(ServerContractAgents, RotateKeyRetiresTheOldKeyAtOnce) {
  Market m;
  // The old key is used (and so remembered by any cache) before the rotation.
  ASSERT_EQ(m.api.get("/api/agents/me", m.seller.key).status, 200);
  auto r = m.api.post("/api/agents/rotate-key", json::object(), m.seller.key);
  ASSERT_EQ(r.status, 200) << r.raw;
  std::string fresh = r.body.value("api_key", "");
  EXPECT_EQ(fresh.size(), 51u);
  EXPECT_EQ(fresh.substr(0, 3), "sk_");
  EXPECT_NE(fresh, m.seller.key);
  EXPECT_TRUE(r.body["_note"].is_string());
  auto old = m.api.get("/api/agents/me", m.seller.key);
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(old.body["error"], "Invalid API key");
  EXPECT_EQ(m.api.patch("/api/gigs/" + m.gig, {{"price_basic", 7}}, m.seller.key).status, 401);
  auto me = m.api.get("/api/agents/me", fresh);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["id"], m.seller.id);
  EXPECT_EQ(m.api.patch("/api/gigs/" + m.gig, {{"price_basic", 7}}, fresh).status, 200);

  EXPECT_EQ(m.api.post("/api/agents/rotate-key", json::object()).status, 401);
  EXPECT_EQ(m.api.post("/api/agents/rotate-key", json::object(), kBadKey).status, 401);
  EXPECT_EQ(m.api.post("/api/agents/rotate-key", json::object(), m.seller.key).status, 401);
}

TEST(ServerContractGigs, DeleteIsSoftAndForTheOwner) {
  Market m;
  std::string order = place_order(m.api, m.buyer, m.gig);
  EXPECT_EQ(m.api.del("/api/gigs/" + m.gig).status, 401);
  EXPECT_EQ(m.api.del("/api/gigs/" + m.gig, kBadKey).status, 401);
  EXPECT_EQ(m.api.del("/api/gigs/" + m.gig, m.buyer.key).status, 403);
  EXPECT_EQ(m.api.del("/api/gigs/no-such-gig", m.seller.key).status, 404);
  EXPECT_EQ(m.api.get("/api/gigs").body["total"], 1);
  auto r = m.api.del("/api/gigs/" + m.gig, m.seller.key);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, (json{{"success", true}}));
  auto kept = m.api.get("/api/gigs/" + m.gig);
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(kept.body["status"], "deleted");
  EXPECT_EQ(m.api.get("/api/gigs").body["total"], 0);
  EXPECT_EQ(m.api.get("/api/agents/" + m.seller.id).body["gigs"].size(), 0u);
  EXPECT_EQ(m.api.get("/api/orders/" + order, m.buyer.key).body["gig_id"], m.gig);
  auto again = m.api.post("/api/orders", {{"gig_id", m.gig}, {"pay_now", false}}, m.buyer.key);
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.body["error"], "Gig not found or inactive");
}

// ------------------------------------------------------ deployed behaviour

TEST(ServerContractAgents, RegistrationMatchesTheDeployedService) {
  ServerProcess server;
  Client api(server.url());
  auto r = api.post("/api/agents/register", {{"name", "plain"}, {"owner_wallet", wallet(9)}});
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["category"], "general");
  EXPECT_EQ(r.body["account_type"], "smart_account");
  EXPECT_EQ(r.body["safe_deployed"], 0);
  EXPECT_EQ(r.body["owner_added_on_chain"], 0);
  EXPECT_TRUE(r.body["avatar_url"].is_null());
  EXPECT_TRUE(r.body["wallet_explorer"].is_string());
  EXPECT_NE(r.body["wallet_explorer"].get<std::string>().find(r.body["wallet_address"].get<std::string>()),
            std::string::npos);
  EXPECT_TRUE(r.body["_note"].is_string());
  EXPECT_EQ(r.body["rating_avg"], 0);
  EXPECT_EQ(r.body["total_earnings"], 0);

  // One owner, many agents.
  auto second = api.post("/api/agents/register", {{"name", "second"}, {"owner_wallet", wallet(9)}});
  EXPECT_EQ(second.status, 201) << second.raw;
  auto third = api.post("/api/agents/register", {{"name", "third"}, {"owner_wallet", wallet(9)}});
  EXPECT_EQ(third.status, 201) << third.raw;
  EXPECT_EQ(api.get("/api/agents?owner_wallet=" + wallet(9)).body["total"], 3);

  auto nameless = api.post("/api/agents/register", {{"owner_wallet", wallet(9)}});
  EXPECT_EQ(nameless.status, 400);
  EXPECT_EQ(nameless.body["error"], "Name is required");
}

TEST(ServerContractGigs, DefaultsAndNullsAsDeployed) {
  Market m;
  auto gig = m.api.get("/api/gigs/" + m.gig);
  ASSERT_EQ(gig.status, 200);
  EXPECT_EQ(gig.body["delivery_time_hours"], 1);
  EXPECT_EQ(gig.body["max_revisions"], 1);
  for (const char* key : {"subcategory", "desc_standard", "desc_premium", "example_input", "example_output",
                          "api_schema", "price_standard", "price_premium"})
    EXPECT_TRUE(gig.body[key].is_null()) << key << " = " << gig.body[key];
  auto order = m.api.post("/api/orders", {{"gig_id", m.gig}, {"pay_now", false}}, m.buyer.key);
  ASSERT_EQ(order.status, 201);
  EXPECT_EQ(order.body["max_revisions"], 1);
  EXPECT_EQ(order.body["revisions_used"], 0);
  // The deadline is one hour away: ISO-8601 with Z, later than created_at by about 3600 s.
  EXPECT_EQ(order.body["deadline"].get<std::string>().back(), 'Z');
}

TEST(ServerContractErrors, DeployedWording) {
  Market m;
  auto own = m.api.post("/api/orders", {{"gig_id", m.gig}, {"pay_now", false}}, m.seller.key);
  EXPECT_EQ(own.status, 400);
  EXPECT_EQ(own.body["error"], "You can't order your own gig");
  auto missing = m.api.post("/api/orders", {{"gig_id", "no-such-gig"}}, m.buyer.key);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"], "Gig not found or inactive");
  std::string order = place_order(m.api, m.buyer, m.gig);
  walk(m.api, order, {{"accepted", m.seller}, {"delivered", m.seller}});
  auto twice = m.api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}}, m.seller.key);
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(twice.body["error"], "Cannot deliver from \"delivered\"");
  EXPECT_TRUE(twice.body["valid"].is_array());
}

TEST(ServerContractAuth, MissingKeyNamesTheCauseAndTheFlag) {
  Market m;
  auto me = m.api.get("/api/agents/me");
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(me.body["error"], "Missing API key");
  EXPECT_TRUE(me.body["hint"].is_string());
  EXPECT_TRUE(me.body["docs"].is_string());
  for (int i = 0; i < 3; ++i) {
    auto write = m.api.post("/api/gigs", {{"agent_id", m.seller.id}, {"title", "t"}});
    EXPECT_EQ(write.status, 401);
    EXPECT_EQ(write.body["error"], "Missing API key");
    ASSERT_TRUE(write.body["hint"].is_string()) << write.raw;
    std::string hint = write.body["hint"];
    EXPECT_NE(hint.find("X-API-Key"), std::string::npos) << hint;
    EXPECT_NE(hint.find("--allow-unauthenticated"), std::string::npos) << hint;
  }
  // Logged once for this client address, not once per request.
  auto log = m.server.process().output();
  std::size_t count = 0;
  for (auto at = log.find("without an X-API-Key"); at != std::string::npos;
       at = log.find("without an X-API-Key", at + 1))
    ++count;
  EXPECT_EQ(count, 1u) << log;
  EXPECT_NE(log.find("--allow-unauthenticated"), std::string::npos);
  EXPECT_NE(log.find("127.0.0.1"), std::string::npos);
}

TEST(ServerContractMarket, CategoriesAndHealthAsDeployed) {
  ServerProcess server;
  Client api(server.url());
  auto cats = api.get("/api/categories");
  ASSERT_EQ(cats.status, 200);
  const std::vector<std::tuple<std::string, std::string, std::string, int>> expected{
      {"cat_data", "Data & Analysis", "data", 1},
      {"cat_code", "Code & Development", "code", 2},
      {"cat_writing", "Writing & Content", "writing", 3},
      {"cat_creative", "Creative & Design", "creative", 4},
      {"cat_research", "Research & Intelligence", "research", 5},
      {"cat_finance", "Finance & Trading", "finance", 6},
      {"cat_automation", "Automation & Integration", "automation", 7},
      {"cat_ai", "AI & ML Services", "ai", 8}};
  ASSERT_EQ(cats.body["categories"].size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& c = cats.body["categories"][i];
    const auto& [id, name, slug, order] = expected[i];
    EXPECT_EQ(c["id"], id);
    EXPECT_EQ(c["name"], name);
    EXPECT_EQ(c["slug"], slug);
    EXPECT_EQ(c["sort_order"], order);
    EXPECT_TRUE(c["parent_id"].is_null());
    EXPECT_FALSE(c["description"].get<std::string>().empty());
    EXPECT_FALSE(c["icon"].get<std::string>().empty());
    EXPECT_EQ(c["gig_count"], 0);
  }
  auto health = api.get("/api/health");
  ASSERT_TRUE(health.body["erc8004"].is_object()) << health.raw;
}

TEST(ServerContractOrders, StatusChangesStampAndCompletionCounts) {
  Market m;
  std::string order = place_order(m.api, m.buyer, m.gig);
  auto pending = m.api.get("/api/orders/" + order, m.buyer.key).body;
  for (const char* key : {"accepted_at", "delivered_at", "completed_at", "cancelled_at"})
    EXPECT_TRUE(pending[key].is_null()) << key;
  walk(m.api, order, {{"accepted", m.seller}});
  EXPECT_TRUE(m.api.get("/api/orders/" + order, m.buyer.key).body["accepted_at"].is_string());
  walk(m.api, order, {{"in_progress", m.seller}, {"delivered", m.seller}});
  EXPECT_TRUE(m.api.get("/api/orders/" + order, m.buyer.key).body["delivered_at"].is_string());
  walk(m.api, order, {{"completed", m.buyer}});
  auto done = m.api.get("/api/orders/" + order, m.buyer.key).body;
  EXPECT_TRUE(done["completed_at"].is_string());
  EXPECT_TRUE(done["cancelled_at"].is_null());
  auto seller = m.api.get("/api/agents/" + m.seller.id).body;
  EXPECT_EQ(seller["total_orders_completed"], 1);
  EXPECT_EQ(seller["total_earnings"], 5);
  EXPECT_EQ(m.api.get("/api/gigs/" + m.gig).body["order_count"], 1);

  std::string cancelled = place_order(m.api, m.buyer, m.gig);
  walk(m.api, cancelled, {{"cancelled", m.buyer}});
  EXPECT_TRUE(m.api.get("/api/orders/" + cancelled, m.buyer.key).body["cancelled_at"].is_string());
  EXPECT_EQ(m.api.get("/api/agents/" + m.seller.id).body["total_orders_completed"], 1);
}

TEST(ServerContractOrders, RevisionsAreCountedAndCapped) {
  Market m;
  std::string gig = publish_gig(m.api, m.seller, {{"max_revisions", 2}});
  std::string order = place_order(m.api, m.buyer, gig);
  EXPECT_EQ(m.api.get("/api/orders/" + order, m.buyer.key).body["max_revisions"], 2);
  walk(m.api, order, {{"accepted", m.seller}, {"delivered", m.seller}});
  for (int used = 1; used <= 2; ++used) {
    walk(m.api, order, {{"revision_requested", m.buyer}});
    EXPECT_EQ(m.api.get("/api/orders/" + order, m.buyer.key).body["revisions_used"], used);
    walk(m.api, order, {{"in_progress", m.seller}, {"delivered", m.seller}});
  }
  auto refused = m.api.patch("/api/orders/" + order + "/status", {{"status", "revision_requested"}}, m.buyer.key);
  EXPECT_EQ(refused.status, 400);
  std::string error = refused.body.value("error", "");
  EXPECT_NE(error.find("revision"), std::string::npos) << error;
  EXPECT_NE(error.find('2'), std::string::npos) << error;
  auto after = m.api.get("/api/orders/" + order, m.buyer.key).body;
  EXPECT_EQ(after["status"], "delivered");
  EXPECT_EQ(after["revisions_used"], 2);
  walk(m.api, order, {{"completed", m.buyer}});

  // The default gig allows one.
  std::string once = place_order(m.api, m.buyer, m.gig);
  walk(m.api, once,
       {{"accepted", m.seller},
        {"delivered", m.seller},
        {"revision_requested", m.buyer},
        {"in_progress", m.seller},
        {"delivered", m.seller}});
  EXPECT_EQ(m.api.patch("/api/orders/" + once + "/status", {{"status", "revision_requested"}}, m.buyer.key).status,
            400);
}

// ------------------------------------------------------------------ reviews

TEST(ServerContractReviews, BuyerReviewsACompletedOrderOnce) {
  Market m;
  std::string order = m.completed_order();
  std::string open = place_order(m.api, m.buyer, m.gig);

  auto notyet = m.api.post("/api/reviews", {{"order_id", open}, {"rating", 5}}, m.buyer.key);
  EXPECT_EQ(notyet.status, 400) << notyet.raw;
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 6}}, m.buyer.key).status, 400);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 0}}, m.buyer.key).status, 400);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}}, m.buyer.key).status, 400);
  EXPECT_EQ(m.api.post("/api/reviews", {{"rating", 4}}, m.buyer.key).status, 400);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 4}, {"speed_rating", 9}}, m.buyer.key).status,
            400);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", "no-such-order"}, {"rating", 4}}, m.buyer.key).status, 404);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 4}}, m.seller.key).status, 403);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 4}}, m.outsider.key).status, 403);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 4}}).status, 401);

  auto r = m.api.post("/api/reviews",
                      {{"order_id", order},
                       {"reviewer_id", m.buyer.id},
                       {"rating", 4},
                       {"comment", "good"},
                       {"quality_rating", 5},
                       {"speed_rating", 3}},
                      m.buyer.key);
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["rating"], 4);
  EXPECT_EQ(r.body["reviewer_id"], m.buyer.id);
  EXPECT_EQ(r.body["reviewed_id"], m.seller.id);
  EXPECT_EQ(r.body["gig_id"], m.gig);
  EXPECT_TRUE(r.body["value_rating"].is_null());
  auto dup = m.api.post("/api/reviews", {{"order_id", order}, {"rating", 2}}, m.buyer.key);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.body["error"], "Order already reviewed");

  std::string second = m.completed_order();
  ASSERT_EQ(m.api.post("/api/reviews", {{"order_id", second}, {"rating", 5}}, m.buyer.key).status, 201);
  auto seller = m.api.get("/api/agents/" + m.seller.id).body;
  EXPECT_EQ(seller["rating_count"], 2);
  EXPECT_DOUBLE_EQ(seller["rating_avg"].get<double>(), 4.5);
  ASSERT_EQ(seller["reviews"].size(), 2u);
  auto gig = m.api.get("/api/gigs/" + m.gig).body;
  EXPECT_EQ(gig["rating_count"], 2);
  EXPECT_DOUBLE_EQ(gig["rating_avg"].get<double>(), 4.5);
  ASSERT_EQ(gig["reviews"].size(), 2u);
  EXPECT_EQ(gig["reviews"][0]["reviewer_name"], "buyer");
  EXPECT_DOUBLE_EQ(gig["agent_rating"].get<double>(), 4.5);
  EXPECT_EQ(gig["agent_orders"], 2);

  auto all = m.api.get("/api/reviews");
  ASSERT_TRUE(all.body.is_array());
  ASSERT_EQ(all.body.size(), 2u);
  EXPECT_EQ(all.body[0]["reviewer_name"], "buyer");
  EXPECT_EQ(all.body[0]["gig_title"], "Blog post");
  auto of_agent = m.api.get("/api/reviews/agent/" + m.seller.id);
  ASSERT_EQ(of_agent.body["reviews"].size(), 2u);
  EXPECT_EQ(of_agent.body["reviews"][0]["gig_title"], "Blog post");
  EXPECT_EQ(m.api.get("/api/reviews/agent/" + m.buyer.id).body["reviews"].size(), 0u);
  auto of_gig = m.api.get("/api/reviews/gig/" + m.gig);
  ASSERT_EQ(of_gig.body["reviews"].size(), 2u);
  EXPECT_EQ(of_gig.body["reviews"][0]["reviewer_name"], "buyer");
}

TEST(ServerContractReviews, OpenModeTakesTheReviewerFromTheBody) {
  Market m({"--allow-unauthenticated"});
  std::string order = m.completed_order();
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 3}}).status, 400);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 3}, {"reviewer_id", m.seller.id}}).status, 403);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 3}, {"reviewer_id", m.buyer.id}}).status, 201);
}

// -------------------------------------------------------------- marketplace

TEST(ServerContractMarket, FeaturedSearchAndStats) {
  Market m;
  std::string other =
      publish_gig(m.api, m.outsider, {{"title", "Python bug fixing"}, {"category", "code"}, {"tags", {"python"}}});
  std::string order = m.completed_order();
  ASSERT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 5}}, m.buyer.key).status, 201);
  place_order(m.api, m.buyer, other);

  auto f = m.api.get("/api/marketplace/featured");
  ASSERT_EQ(f.status, 200) << f.raw;
  ASSERT_EQ(f.body["top_rated"].size(), 1u);
  EXPECT_EQ(f.body["top_rated"][0]["id"], m.gig);
  EXPECT_EQ(f.body["top_rated"][0]["agent_name"], "seller");
  EXPECT_EQ(f.body["top_rated"][0]["agent_rating"], 5);
  ASSERT_EQ(f.body["popular"].size(), 2u);
  EXPECT_EQ(f.body["popular"][0]["id"], m.gig);
  EXPECT_EQ(f.body["newest"].size(), 2u);
  ASSERT_EQ(f.body["top_agents"].size(), 1u);
  EXPECT_EQ(f.body["top_agents"][0]["id"], m.seller.id);
  EXPECT_FALSE(f.body["top_agents"][0].contains("api_key_hash"));
  ASSERT_EQ(f.body["categories"].size(), 8u);
  EXPECT_EQ(f.body["categories"][0]["slug"], "data");
  EXPECT_TRUE(f.body["categories"][0]["gig_count"].is_number());
  EXPECT_EQ(
      f.body["stats"],
      (json{{"total_agents", 3}, {"total_gigs", 2}, {"total_orders", 2}, {"total_completed", 1}, {"total_volume", 5}}));

  auto s = m.api.get("/api/marketplace/search?q=python");
  ASSERT_EQ(s.status, 200);
  ASSERT_EQ(s.body["gigs"].size(), 1u);
  EXPECT_EQ(s.body["gigs"][0]["id"], other);
  EXPECT_EQ(s.body["gigs"][0]["agent_name"], "outsider");
  EXPECT_EQ(s.body["query"], "python");
  auto by_name = m.api.get("/api/marketplace/search?q=outsid");
  ASSERT_EQ(by_name.body["agents"].size(), 1u);
  EXPECT_EQ(by_name.body["agents"][0]["id"], m.outsider.id);
  EXPECT_FALSE(by_name.body["agents"][0].contains("api_key_hash"));
  auto noq = m.api.get("/api/marketplace/search");
  EXPECT_EQ(noq.status, 400);
  EXPECT_TRUE(noq.body["error"].is_string());
  EXPECT_EQ(m.api.get("/api/marketplace/search?q=").status, 400);

  auto st = m.api.get("/api/marketplace/stats");
  ASSERT_EQ(st.status, 200);
  EXPECT_EQ(st.body["agents"], (json{{"total", 3}, {"new_this_week", 3}}));
  EXPECT_EQ(st.body["gigs"]["total"], 2);
  EXPECT_EQ(st.body["gigs"]["by_category"].size(), 2u);
  EXPECT_EQ(st.body["orders"],
            (json{{"total", 2}, {"completed", 1}, {"pending", 1}, {"in_progress", 0}, {"total_volume_usdc", 5}}));
  EXPECT_EQ(st.body["reviews"], (json{{"total", 1}, {"average_rating", 5}}));
}

// ------------------------------------------------------- work submissions

TEST(ServerContractCommunications, SubmitListReviewAndInbox) {
  Market m;
  std::string order = m.completed_order();
  auto bad = [&](json body, const std::string& key) { return m.api.post("/api/communications", body, key).status; };
  EXPECT_EQ(bad({{"receiver_id", m.buyer.id}, {"title", "t"}}, ""), 401);
  EXPECT_EQ(bad({{"receiver_id", m.buyer.id}, {"title", "t"}}, kBadKey), 401);
  EXPECT_EQ(bad({{"receiver_id", m.buyer.id}, {"title", "t"}, {"sender_id", m.outsider.id}}, m.seller.key), 403);
  EXPECT_EQ(bad({{"receiver_id", m.buyer.id}}, m.seller.key), 400);
  EXPECT_EQ(bad({{"title", "t"}}, m.seller.key), 400);
  EXPECT_EQ(bad({{"receiver_id", m.seller.id}, {"title", "t"}}, m.seller.key), 400);
  EXPECT_EQ(bad({{"receiver_id", "nobody"}, {"title", "t"}}, m.seller.key), 404);

  auto sent = m.api.post("/api/communications",
                         {{"sender_id", m.seller.id},
                          {"receiver_id", m.buyer.id},
                          {"order_id", order},
                          {"title", "Your report"},
                          {"payload", "the text"}},
                         m.seller.key);
  ASSERT_EQ(sent.status, 201) << sent.raw;
  std::string id = sent.body["id"];
  EXPECT_EQ(sent.body["status"], "pending");
  EXPECT_EQ(sent.body["payload_type"], "text");
  EXPECT_EQ(sent.body["sender_name"], "seller");
  EXPECT_EQ(sent.body["receiver_name"], "buyer");
  EXPECT_TRUE(sent.body["score"].is_null());
  auto plain = m.api.post("/api/communications", {{"receiver_id", m.outsider.id}, {"title", "FYI"}}, m.seller.key);
  ASSERT_EQ(plain.status, 201);

  // Reading: a party's key.
  EXPECT_EQ(m.api.get("/api/communications/" + id).status, 401);
  EXPECT_EQ(m.api.get("/api/communications/" + id, m.outsider.key).status, 403);
  EXPECT_EQ(m.api.get("/api/communications/no-such", m.seller.key).status, 404);
  auto one = m.api.get("/api/communications/" + id, m.buyer.key);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body["title"], "Your report");
  EXPECT_EQ(one.body["receiver_name"], "buyer");

  auto list = m.api.get("/api/communications?agent_id=" + m.seller.id, m.seller.key);
  ASSERT_EQ(list.status, 200) << list.raw;
  EXPECT_EQ(list.body["total"], 2);
  EXPECT_EQ(list.body["limit"], 50);
  EXPECT_EQ(list.body["offset"], 0);
  EXPECT_EQ(list.body["submissions"].size(), 2u);
  EXPECT_EQ(m.api.get("/api/communications?agent_id=" + m.seller.id + "&limit=500", m.seller.key).body["limit"], 100);
  EXPECT_EQ(m.api.get("/api/communications?agent_id=" + m.seller.id + "&role=receiver", m.seller.key).body["total"], 0);
  EXPECT_EQ(m.api.get("/api/communications?order_id=" + order, m.buyer.key).body["total"], 1);
  EXPECT_EQ(m.api.get("/api/communications?agent_id=" + m.seller.id, m.buyer.key).status, 403);
  EXPECT_EQ(m.api.get("/api/communications").status, 401);
  // Without agent_id a key sees its own submissions only.
  EXPECT_EQ(m.api.get("/api/communications", m.outsider.key).body["total"], 1);

  auto inbox = m.api.get("/api/communications/agent/" + m.buyer.id + "/inbox", m.buyer.key);
  ASSERT_EQ(inbox.status, 200);
  EXPECT_EQ(inbox.body["count"], 1);
  EXPECT_EQ(inbox.body["inbox"][0]["id"], id);
  EXPECT_EQ(inbox.body["inbox"][0]["sender_name"], "seller");
  EXPECT_EQ(m.api.get("/api/communications/agent/" + m.buyer.id + "/inbox", m.seller.key).status, 403);
  EXPECT_EQ(m.api.get("/api/communications/agent/" + m.buyer.id + "/inbox").status, 401);
  auto out = m.api.get("/api/communications/agent/" + m.seller.id + "/sent", m.seller.key);
  EXPECT_EQ(out.body["count"], 2);
  EXPECT_EQ(out.body["sent"].size(), 2u);
  EXPECT_EQ(m.api.get("/api/communications/agent/" + m.seller.id + "/sent", m.buyer.key).status, 403);

  // Review: the receiver only, score 0-100, once.
  const std::string rv = "/api/communications/" + id + "/review";
  EXPECT_EQ(m.api.post(rv, {{"score", 80}}).status, 401);
  EXPECT_EQ(m.api.post(rv, {{"score", 80}}, m.seller.key).status, 403);
  EXPECT_EQ(m.api.post(rv, {{"score", 80}}, m.outsider.key).status, 403);
  EXPECT_EQ(m.api.post(rv, {{"score", 101}}, m.buyer.key).status, 400);
  EXPECT_EQ(m.api.post(rv, {{"score", -1}}, m.buyer.key).status, 400);
  EXPECT_EQ(m.api.post(rv, json::object(), m.buyer.key).status, 400);
  EXPECT_EQ(m.api.post("/api/communications/no-such/review", {{"score", 1}}, m.buyer.key).status, 404);
  auto reviewed = m.api.post(rv, {{"score", 80}, {"comment", "solid"}, {"reviewer_id", m.buyer.id}}, m.buyer.key);
  ASSERT_EQ(reviewed.status, 200) << reviewed.raw;
  EXPECT_EQ(reviewed.body["submission"]["status"], "reviewed");
  EXPECT_EQ(reviewed.body["submission"]["score"], 80);
  EXPECT_EQ(reviewed.body["submission"]["score_comment"], "solid");
  EXPECT_TRUE(reviewed.body["submission"]["reviewed_at"].is_string());
  auto again = m.api.post(rv, {{"score", 10}}, m.buyer.key);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["error"], "Already reviewed");
  EXPECT_EQ(m.api.get("/api/communications/agent/" + m.buyer.id + "/inbox", m.buyer.key).body["count"], 0);

  // The linked order got a star review: round(80 / 20) = 4.
  auto reviews = m.api.get("/api/reviews/agent/" + m.seller.id).body["reviews"];
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews[0]["rating"], 4);
  EXPECT_EQ(reviews[0]["order_id"], order);
  EXPECT_EQ(m.api.get("/api/agents/" + m.seller.id).body["rating_count"], 1);
  EXPECT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 5}}, m.buyer.key).status, 409);
}

// --------------------------------------------------------------- on-chain

TEST(ServerContractOnChain, MoneyRoutesAnswer501InJson) {
  Market m;
  const std::vector<std::pair<std::string, std::string>> routes{
      {"GET", "/api/wallets/" + m.seller.id},
      {"POST", "/api/wallets/create"},
      {"POST", "/api/agents/withdraw"},
      {"POST", "/api/agents/" + m.seller.id + "/owner-withdraw"},
      {"POST", "/api/agents/" + m.seller.id + "/add-owner"},
      {"GET", "/api/agents/" + m.seller.id + "/safe-status"},
      {"POST", "/api/gigs/" + m.gig + "/purchase"},
      {"GET", "/api/reputation/" + m.seller.id},
      {"POST", "/api/reputation/feedback"},
      {"GET", "/api/agents/" + m.seller.id + "/registration.json"},
      {"GET", "/.well-known/agent-registration.json"},
  };
  for (const auto& [method, path] : routes) {
    auto r = m.api.call(method, path, method == "POST" ? "{}" : "", m.seller.key);
    EXPECT_EQ(r.status, 501) << method << " " << path << " -> " << r.raw;
    ASSERT_TRUE(r.body.is_object()) << path;
    EXPECT_NE(r.body.value("error", "").find("needs the on-chain deployment of Gigent"), std::string::npos) << r.raw;
    EXPECT_TRUE(r.body["route"].is_string()) << r.raw;
  }
}

// -------------------------------------------------------------------- ETag

TEST(ServerContractHttp, EveryGetCarriesAnETagAndAnswers304) {
  Market m;
  std::string order = m.completed_order();
  ASSERT_EQ(m.api.post("/api/reviews", {{"order_id", order}, {"rating", 5}}, m.buyer.key).status, 201);
  const std::vector<std::pair<std::string, std::string>> gets{
      {"/api/health", ""},
      {"/api/categories", ""},
      {"/api/agents", ""},
      {"/api/agents/" + m.seller.id, ""},
      {"/api/agents/me", m.seller.key},
      {"/api/gigs", ""},
      {"/api/gigs/" + m.gig, ""},
      {"/api/orders?agent_id=" + m.seller.id, m.seller.key},
      {"/api/orders/" + order, m.seller.key},
      {"/api/orders/" + order + "/messages", m.seller.key},
      {"/api/reviews", ""},
      {"/api/reviews/agent/" + m.seller.id, ""},
      {"/api/reviews/gig/" + m.gig, ""},
      {"/api/marketplace/featured", ""},
      {"/api/marketplace/search?q=blog", ""},
      {"/api/marketplace/stats", ""},
      {"/api/communications", m.seller.key},
      {"/api/communications/agent/" + m.seller.id + "/inbox", m.seller.key},
      {"/api/communications/agent/" + m.seller.id + "/sent", m.seller.key},
  };
  for (const auto& [path, key] : gets) {
    auto first = m.api.get(path, key);
    ASSERT_EQ(first.status, 200) << path << " -> " << first.raw;
    std::string etag = first.header("etag");
    ASSERT_FALSE(etag.empty()) << path;
    EXPECT_EQ(etag.substr(0, 3), "W/\"") << path;
    auto again = m.api.call("GET", path, "", key, {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304) << path;
    EXPECT_TRUE(again.raw.empty()) << path;
    auto stale = m.api.call("GET", path, "", key, {{"If-None-Match", "W/\"0-0\""}});
    EXPECT_EQ(stale.status, 200) << path;
  }
  // A browser reading the ETag from script needs it exposed by CORS.
  auto cors = m.api.get("/api/gigs");
  EXPECT_NE(cors.header("access-control-expose-headers").find("ETag"), std::string::npos);
}

// ----------------------------------------------------------- authorization

// Every write route added for the contract: right key, wrong key, no key.
TEST(ServerContractAuth, NewWriteRoutesNeedTheRightKey) {
  Market m;
  std::string order = m.completed_order();
  struct Case {
    std::string method, path;
    json body;
    std::string right, wrong;  // keys
    int ok;
  };
  auto sub = m.api.post("/api/communications", {{"receiver_id", m.buyer.id}, {"title", "t"}}, m.seller.key);
  ASSERT_EQ(sub.status, 201);
  std::vector<Case> cases{
      {"PATCH", "/api/agents/" + m.seller.id, {{"description", "x"}}, m.seller.key, m.buyer.key, 200},
      {"POST", "/api/reviews", {{"order_id", order}, {"rating", 5}}, m.buyer.key, m.seller.key, 201},
      {"POST",
       "/api/communications",
       {{"receiver_id", m.buyer.id}, {"title", "t"}, {"sender_id", m.seller.id}},
       m.seller.key,
       m.outsider.key,
       201},
      {"POST",
       "/api/communications/" + sub.body["id"].get<std::string>() + "/review",
       {{"score", 50}},
       m.buyer.key,
       m.seller.key,
       200},
      {"DELETE", "/api/gigs/" + m.gig, json(), m.seller.key, m.buyer.key, 200},
  };
  for (const auto& c : cases) {
    std::string body = c.body.is_null() ? "" : c.body.dump();
    EXPECT_EQ(m.api.call(c.method, c.path, body).status, 401) << c.path;
    EXPECT_EQ(m.api.call(c.method, c.path, body, kBadKey).status, 401) << c.path;
    EXPECT_EQ(m.api.call(c.method, c.path, body, c.wrong).status, 403) << c.path;
    auto r = m.api.call(c.method, c.path, body, c.right);
    EXPECT_EQ(r.status, c.ok) << c.path << " -> " << r.raw;
  }
  // rotate-key has no "wrong" agent: any valid key rotates its own.
  EXPECT_EQ(m.api.post("/api/agents/rotate-key", json::object()).status, 401);
  EXPECT_EQ(m.api.post("/api/agents/rotate-key", json::object(), kBadKey).status, 401);
  EXPECT_EQ(m.api.post("/api/agents/rotate-key", json::object(), m.outsider.key).status, 200);
}

// --------------------------------------------------------------- --static

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ServerContractStatic, ServesTheFrontEndAndNothingOutsideIt) {
  gigent::testing::TempDir dir;
  const std::string site = dir.file("site"), outside = dir.file("outside");
  ASSERT_EQ(::mkdir(site.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((site + "/assets").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  write_file(site + "/index.html", "<!doctype html><div id=root></div>");
  write_file(site + "/assets/app.js", "console.log(1)");
  write_file(site + "/assets/app.css", "body{}");
  write_file(site + "/logo.svg", "<svg/>");
  write_file(site + "/icon.png", std::string("\x89PNG\r\n\x1a\n", 8));
  write_file(site + "/manifest.json", "{}");
  write_file(outside + "/secret.txt", "top secret");
  ASSERT_EQ(::symlink((outside + "/secret.txt").c_str(), (site + "/leak.txt").c_str()), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (site + "/linked").c_str()), 0);

  ServerProcess server({"--static", site});
  Client api(server.url());
  struct Case {
    std::string path;
    int status;
    std::string type, body;
  };
  const std::string index = "<!doctype html><div id=root></div>";
  const std::vector<Case> cases{
      {"/", 200, "text/html", index},
      {"/index.html", 200, "text/html", index},
      {"/assets/app.js", 200, "text/javascript", "console.log(1)"},
      {"/assets/app.css", 200, "text/css", "body{}"},
      {"/logo.svg", 200, "image/svg+xml", "<svg/>"},
      {"/icon.png", 200, "image/png", std::string("\x89PNG\r\n\x1a\n", 8)},
      {"/manifest.json", 200, "application/json", "{}"},
      {"/agents/some-id", 200, "text/html", index},  // the app's own routes
      {"/orders", 200, "text/html", index},
      {"/assets/", 200, "text/html", index},
  };
  for (const auto& c : cases) {
    auto r = api.get(c.path);
    EXPECT_EQ(r.status, c.status) << c.path;
    EXPECT_EQ(r.header("content-type").substr(0, c.type.size()), c.type) << c.path;
    EXPECT_EQ(r.raw, c.body) << c.path;
  }
  // Escapes: encoded dot segments (the client would squash plain ones), and
  // symlinks that lead out of the folder. Never the secret, never a 200 with it.
  for (const std::string path : {"/%2e%2e/outside/secret.txt", "/assets/%2e%2e/%2e%2e/outside/secret.txt", "/leak.txt",
                                 "/linked/secret.txt", "/..%2foutside%2fsecret.txt"}) {
    auto r = api.get(path);
    EXPECT_EQ(r.raw.find("top secret"), std::string::npos) << path;
    EXPECT_NE(r.status, 500) << path;
  }
  EXPECT_EQ(api.get("/%2e%2e/outside/secret.txt").status, 404);
  EXPECT_EQ(api.get("/leak.txt").status, 404);
  // The API keeps answering JSON, and an unknown API path stays a JSON 404.
  EXPECT_EQ(api.get("/api/health").body["status"], "ok");
  auto unknown = api.get("/api/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(unknown.body.is_object());
}

TEST(ServerContractStatic, AFolderWithoutIndexHtmlIsRefusedAtStart) {
  gigent::testing::TempDir dir;
  gigent::testing::SpawnOptions options;
  options.args = {"--port", "0", "--db", dir.file("g.db"), "--static", dir.path()};
  gigent::testing::ChildProcess child(gigent::testing::build_path("gigent-server"), options, dir.path());
  EXPECT_EQ(child.wait_exit(std::chrono::seconds(10)), 2);
  EXPECT_NE(child.stderr_text().find("index.html"), std::string::npos) << child.stderr_text();
}

}  // namespace
