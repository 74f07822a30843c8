// Every row kind of ../shared/GIGENT_API.md ("Row shapes"), checked against
// real responses of the real gigent-server: each field the contract names must
// be there, with its type; key hashes never. Also: a database made by an
// earlier gigent-server migrates on start.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <map>
#include <string>
#include <vector>

#include "server_contract_client.h"
#include "support/process.h"

namespace {

using gigent::contract::Agent;
using gigent::contract::Client;
using gigent::contract::json;
using gigent::contract::place_order;
using gigent::contract::publish_gig;
using gigent::contract::register_agent;
using gigent::contract::walk;
using gigent::contract::wallet;
using gigent::testing::ServerProcess;

// What a field may hold. Nullable kinds also accept null.
enum class Kind { Text, NullableText, Number, NullableNumber, Flag, Bool, Stamp, NullableStamp, Array, Object };

using Shape = std::vector<std::pair<std::string, Kind>>;

const Shape kAgent{{"id", Kind::Text},
                   {"name", Kind::Text},
                   {"description", Kind::NullableText},
                   {"wallet_address", Kind::Text},
                   {"category", Kind::Text},
                   {"tags", Kind::Text},
                   {"avatar_url", Kind::NullableText},
                   {"status", Kind::Text},
                   {"rating_avg", Kind::Number},
                   {"rating_count", Kind::Number},
                   {"total_earnings", Kind::Number},
                   {"total_orders_completed", Kind::Number},
                   {"response_time_avg", Kind::Number},
                   {"account_type", Kind::Text},
                   {"owner_wallet", Kind::NullableText},
                   {"safe_deployed", Kind::Flag},
                   {"owner_added_on_chain", Kind::Flag},
                   {"last_seen", Kind::NullableStamp},
                   {"created_at", Kind::Stamp},
                   {"updated_at", Kind::Stamp},
                   {"is_online", Kind::Bool}};

const Shape kGig{{"id", Kind::Text},
                 {"agent_id", Kind::Text},
                 {"title", Kind::Text},
                 {"description", Kind::Text},
                 {"category", Kind::Text},
                 {"subcategory", Kind::NullableText},
                 {"tags", Kind::Text},
                 {"price_basic", Kind::Number},
                 {"price_standard", Kind::NullableNumber},
                 {"price_premium", Kind::NullableNumber},
                 {"desc_basic", Kind::Text},
                 {"desc_standard", Kind::NullableText},
                 {"desc_premium", Kind::NullableText},
                 {"delivery_time_hours", Kind::Number},
                 {"max_revisions", Kind::Number},
                 {"example_input", Kind::NullableText},
                 {"example_output", Kind::NullableText},
                 {"api_schema", Kind::NullableText},
                 {"status", Kind::Text},
                 {"order_count", Kind::Number},
                 {"rating_avg", Kind::Number},
                 {"rating_count", Kind::Number},
                 {"created_at", Kind::Stamp},
                 {"updated_at", Kind::Stamp}};

const Shape kOrder{{"id", Kind::Text},
                   {"gig_id", Kind::Text},
                   {"buyer_id", Kind::Text},
                   {"seller_id", Kind::Text},
                   {"tier", Kind::Text},
                   {"price", Kind::Number},
                   {"status", Kind::Text},
                   {"brief", Kind::NullableText},
                   {"input_data", Kind::NullableText},
                   {"delivery_data", Kind::NullableText},
                   {"delivery_hash", Kind::NullableText},
                   {"revisions_used", Kind::Number},
                   {"max_revisions", Kind::Number},
                   {"escrow_tx_hash", Kind::NullableText},
                   {"release_tx_hash", Kind::NullableText},
                   {"on_chain_job_id", Kind::NullableText},
                   {"accepted_at", Kind::NullableStamp},
                   {"delivered_at", Kind::NullableStamp},
                   {"completed_at", Kind::NullableStamp},
                   {"cancelled_at", Kind::NullableStamp},
                   {"deadline", Kind::Text},
                   {"created_at", Kind::Stamp},
                   {"updated_at", Kind::Stamp}};

const Shape kMessage{{"id", Kind::Text},      {"order_id", Kind::Text},     {"sender_id", Kind::Text},
                     {"content", Kind::Text}, {"message_type", Kind::Text}, {"created_at", Kind::Stamp}};

const Shape kReview{{"id", Kind::Text},
                    {"order_id", Kind::Text},
                    {"reviewer_id", Kind::Text},
                    {"reviewed_id", Kind::Text},
                    {"gig_id", Kind::Text},
                    {"rating", Kind::Number},
                    {"comment", Kind::NullableText},
                    {"quality_rating", Kind::NullableNumber},
                    {"speed_rating", Kind::NullableNumber},
                    {"value_rating", Kind::NullableNumber},
                    {"created_at", Kind::Stamp}};

const Shape kSubmission{{"id", Kind::Text},
                        {"sender_id", Kind::Text},
                        {"receiver_id", Kind::Text},
                        {"order_id", Kind::NullableText},
                        {"title", Kind::Text},
                        {"description", Kind::NullableText},
                        {"payload", Kind::NullableText},
                        {"payload_type", Kind::Text},
                        {"status", Kind::Text},
                        {"score", Kind::NullableNumber},
                        {"score_comment", Kind::NullableText},
                        {"feedback_tx_hash", Kind::NullableText},
                        {"created_at", Kind::Stamp},
                        {"reviewed_at", Kind::NullableStamp},
                        {"updated_at", Kind::Stamp}};

const Shape kCategory{{"id", Kind::Text},           {"name", Kind::Text},       {"slug", Kind::Text},
                      {"description", Kind::Text},  {"icon", Kind::Text},       {"parent_id", Kind::NullableText},
                      {"sort_order", Kind::Number}, {"gig_count", Kind::Number}};

bool is_stamp(const json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() == 19 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':';
}

bool fits(const json& v, Kind kind) {
  switch (kind) {
    case Kind::Text:
      return v.is_string();
    case Kind::NullableText:
      return v.is_string() || v.is_null();
    case Kind::Number:
      return v.is_number();
    case Kind::NullableNumber:
      return v.is_number() || v.is_null();
    case Kind::Flag:
      return v.is_number_integer() && (v == 0 || v == 1);
    case Kind::Bool:
      return v.is_boolean();
    case Kind::Stamp:
      return is_stamp(v);
    case Kind::NullableStamp:
      return v.is_null() || is_stamp(v);
    case Kind::Array:
      return v.is_array();
    case Kind::Object:
      return v.is_object();
  }
  return false;
}

// Checks `row` against `shape` plus the `extra` keys a route adds.
void expect_shape(const json& row, const Shape& shape, const std::string& where, const Shape& extra = {}) {
  ASSERT_TRUE(row.is_object()) << where << ": " << row;
  for (const auto* list : {&shape, &extra})
    for (const auto& [key, kind] : *list) {
      ASSERT_TRUE(row.contains(key)) << where << ": no \"" << key << "\" in " << row.dump().substr(0, 400);
      EXPECT_TRUE(fits(row[key], kind)) << where << ": \"" << key << "\" = " << row[key];
    }
  for (const char* secret : {"api_key_hash", "private_key", "api_key"})
    EXPECT_FALSE(row.contains(secret)) << where << " carries " << secret;
}

void expect_each(const json& rows, const Shape& shape, const std::string& where, const Shape& extra = {},
                 std::size_t at_least = 1) {
  ASSERT_TRUE(rows.is_array()) << where << ": " << rows.dump().substr(0, 300);
  EXPECT_GE(rows.size(), at_least) << where;
  for (std::size_t i = 0; i < rows.size(); ++i)
    expect_shape(rows[i], shape, where + "[" + std::to_string(i) + "]", extra);
}

const Shape kListedGig{{"agent_name", Kind::Text}, {"agent_rating", Kind::Number}};
const Shape kOrderNames{{"gig_title", Kind::Text}, {"buyer_name", Kind::Text}, {"seller_name", Kind::Text}};
const Shape kSubmissionNames{{"sender_name", Kind::Text}, {"receiver_name", Kind::Text}};

TEST(ServerContractRows, EveryResponseCarriesTheContractFields) {
  ServerProcess server;
  Client api(server.url());
  Agent seller = register_agent(api, "seller", 1);
  Agent buyer = register_agent(api, "buyer", 2);
  std::string gig = publish_gig(api, seller);
  std::string order = place_order(api, buyer, gig);
  walk(api, order, {{"accepted", seller}, {"in_progress", seller}, {"delivered", seller}, {"completed", buyer}});
  ASSERT_EQ(api.post("/api/orders/" + order + "/messages", {{"content", "thanks"}}, buyer.key).status, 201);
  auto review = api.post("/api/reviews", {{"order_id", order}, {"rating", 5}, {"comment", "great"}}, buyer.key);
  ASSERT_EQ(review.status, 201) << review.raw;
  expect_shape(review.body, kReview, "POST /api/reviews");
  std::string open = place_order(api, buyer, gig);

  // Agents.
  auto registered = api.post("/api/agents/register", {{"name", "third"}, {"owner_wallet", wallet(3)}});
  ASSERT_EQ(registered.status, 201);
  {
    Shape without_online(kAgent.begin(), kAgent.end() - 1);
    json row = registered.body;
    row.erase("api_key");  // shown once, at registration only
    expect_shape(row, without_online, "register");
  }
  for (const char* key : {"api_key", "wallet_explorer", "_note"}) EXPECT_TRUE(registered.body[key].is_string()) << key;
  auto profile = api.get("/api/agents/" + seller.id);
  expect_shape(profile.body, kAgent, "GET /api/agents/:id", {{"gigs", Kind::Array}, {"reviews", Kind::Array}});
  expect_each(profile.body["gigs"], kGig, "agent.gigs");
  expect_each(profile.body["reviews"], kReview, "agent.reviews", {{"reviewer_name", Kind::Text}});
  auto me = api.get("/api/agents/me", buyer.key);
  expect_shape(me.body, kAgent, "GET /api/agents/me", {{"gigs", Kind::Array}, {"pending_orders", Kind::Array}});
  expect_each(api.get("/api/agents/me", seller.key).body["pending_orders"], kOrder, "me.pending_orders", kOrderNames);
  expect_each(api.get("/api/agents").body["agents"], kAgent, "GET /api/agents", {}, 3);
  auto patched = api.patch("/api/agents/" + seller.id, {{"description", "bio"}}, seller.key);
  expect_shape(patched.body, kAgent, "PATCH /api/agents/:id");

  // Gigs.
  expect_each(api.get("/api/gigs").body["gigs"], kGig, "GET /api/gigs", kListedGig);
  auto one_gig = api.get("/api/gigs/" + gig);
  expect_shape(one_gig.body, kGig, "GET /api/gigs/:id",
               {{"agent_name", Kind::Text},
                {"agent_rating", Kind::Number},
                {"agent_orders", Kind::Number},
                {"reviews", Kind::Array}});
  expect_each(one_gig.body["reviews"], kReview, "gig.reviews", {{"reviewer_name", Kind::Text}});
  auto created =
      api.post("/api/gigs",
               {{"title", "t"}, {"description", "d"}, {"category", "code"}, {"price_basic", 1}, {"desc_basic", "b"}},
               seller.key);
  expect_shape(created.body, kGig, "POST /api/gigs");
  expect_shape(api.patch("/api/gigs/" + gig, {{"price_basic", 6}}, seller.key).body, kGig, "PATCH /api/gigs/:id");

  // Orders and messages.
  auto placed = api.post("/api/orders", {{"gig_id", gig}, {"pay_now", false}}, buyer.key);
  expect_shape(placed.body, kOrder, "POST /api/orders");
  auto full = api.get("/api/orders/" + order, buyer.key);
  expect_shape(full.body, kOrder, "GET /api/orders/:id", kOrderNames);
  expect_each(full.body["messages"], kMessage, "order.messages");
  expect_each(api.get("/api/orders?agent_id=" + buyer.id, buyer.key).body["orders"], kOrder, "GET /api/orders",
              kOrderNames, 2);
  auto accepted = api.patch("/api/orders/" + open + "/status", {{"status", "accepted"}}, seller.key);
  expect_shape(accepted.body, kOrder, "PATCH /api/orders/:id/status");
  auto delivered = api.post("/api/orders/" + open + "/deliver", {{"delivery_data", "x"}}, seller.key);
  expect_shape(delivered.body, kOrder, "POST /api/orders/:id/deliver");
  auto message = api.post("/api/orders/" + open + "/messages", {{"content", "hi"}}, seller.key);
  expect_shape(message.body, kMessage, "POST /api/orders/:id/messages");
  expect_each(api.get("/api/orders/" + open + "/messages", seller.key).body["messages"], kMessage,
              "GET /api/orders/:id/messages");

  // Reviews.
  expect_each(api.get("/api/reviews").body, kReview, "GET /api/reviews",
              {{"reviewer_name", Kind::Text}, {"gig_title", Kind::Text}});
  expect_each(api.get("/api/reviews/agent/" + seller.id).body["reviews"], kReview, "GET /api/reviews/agent/:id",
              {{"reviewer_name", Kind::Text}, {"gig_title", Kind::Text}});
  expect_each(api.get("/api/reviews/gig/" + gig).body["reviews"], kReview, "GET /api/reviews/gig/:id",
              {{"reviewer_name", Kind::Text}});

  // Categories and the marketplace.
  expect_each(api.get("/api/categories").body["categories"], kCategory, "GET /api/categories", {}, 8);
  auto featured = api.get("/api/marketplace/featured").body;
  for (const char* list : {"top_rated", "popular", "newest"})
    expect_each(featured[list], kGig, std::string("featured.") + list, kListedGig);
  Shape agent_row(kAgent.begin(), kAgent.end() - 1);  // plain rows, as the deployed service sends them
  expect_each(featured["top_agents"], agent_row, "featured.top_agents");
  expect_each(featured["categories"], kCategory, "featured.categories", {}, 8);
  for (const char* key : {"total_agents", "total_gigs", "total_orders", "total_completed", "total_volume"})
    EXPECT_TRUE(featured["stats"][key].is_number()) << key;
  auto search = api.get("/api/marketplace/search?q=Blog").body;
  expect_each(search["gigs"], kGig, "search.gigs", {{"agent_name", Kind::Text}});
  expect_each(api.get("/api/marketplace/search?q=sell").body["agents"], agent_row, "search.agents");
  EXPECT_EQ(search["query"], "Blog");
  auto stats = api.get("/api/marketplace/stats").body;
  for (const auto& path : {"/agents/total", "/agents/new_this_week", "/gigs/total", "/orders/total",
                           "/orders/completed", "/orders/pending", "/orders/in_progress", "/orders/total_volume_usdc",
                           "/reviews/total", "/reviews/average_rating"})
    EXPECT_TRUE(stats[json::json_pointer(path)].is_number()) << path;
  ASSERT_TRUE(stats["gigs"]["by_category"].is_array());
  for (const auto& c : stats["gigs"]["by_category"]) {
    EXPECT_TRUE(c["category"].is_string());
    EXPECT_TRUE(c["count"].is_number());
  }

  // Work submissions.
  auto sub =
      api.post("/api/communications", {{"receiver_id", buyer.id}, {"order_id", order}, {"title", "t"}}, seller.key);
  ASSERT_EQ(sub.status, 201) << sub.raw;
  expect_shape(sub.body, kSubmission, "POST /api/communications", kSubmissionNames);
  std::string sub_id = sub.body["id"];
  expect_shape(api.get("/api/communications/" + sub_id, buyer.key).body, kSubmission, "GET /api/communications/:id",
               kSubmissionNames);
  auto listed = api.get("/api/communications?agent_id=" + seller.id, seller.key).body;
  expect_each(listed["submissions"], kSubmission, "GET /api/communications", kSubmissionNames);
  for (const char* key : {"total", "limit", "offset"}) EXPECT_TRUE(listed[key].is_number()) << key;
  auto inbox = api.get("/api/communications/agent/" + buyer.id + "/inbox", buyer.key).body;
  expect_each(inbox["inbox"], kSubmission, "inbox", {{"sender_name", Kind::Text}});
  EXPECT_TRUE(inbox["count"].is_number());
  auto sent = api.get("/api/communications/agent/" + seller.id + "/sent", seller.key).body;
  expect_each(sent["sent"], kSubmission, "sent", {{"receiver_name", Kind::Text}});
  auto reviewed = api.post("/api/communications/" + sub_id + "/review", {{"score", 90}}, buyer.key);
  ASSERT_EQ(reviewed.status, 200) << reviewed.raw;
  expect_shape(reviewed.body["submission"], kSubmission, "POST /api/communications/:id/review");

  // Health.
  auto health = api.get("/api/health").body;
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["name"], "Gigent");
  EXPECT_TRUE(health["version"].is_string());
  for (const char* key : {"agents", "gigs", "orders"}) EXPECT_TRUE(health["stats"][key].is_number()) << key;
  EXPECT_TRUE(health["erc8004"].is_object());
}

// ---------------------------------------------------------------- migration

// The schema gigent-server wrote before the contract's row shapes, as it was
// created on disk, with the rows an operator would have.
constexpr const char* kPreviousSchema = R"sql(
CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT DEFAULT '', category TEXT DEFAULT '', tags TEXT DEFAULT '[]', avatar_url TEXT DEFAULT '', owner_wallet TEXT COLLATE NOCASE UNIQUE, wallet_address TEXT, api_key_hash TEXT, status TEXT DEFAULT 'active', rating REAL DEFAULT 0, total_orders INTEGER DEFAULT 0, completed_orders INTEGER DEFAULT 0, earnings REAL DEFAULT 0, created_at TEXT DEFAULT (datetime('now')), last_seen TEXT);
CREATE TABLE gigs (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES agents(id), title TEXT NOT NULL, description TEXT DEFAULT '', category TEXT DEFAULT '', subcategory TEXT DEFAULT '', tags TEXT DEFAULT '[]', price_basic REAL NOT NULL, desc_basic TEXT DEFAULT '', price_standard REAL, desc_standard TEXT DEFAULT '', price_premium REAL, desc_premium TEXT DEFAULT '', delivery_time_hours INTEGER DEFAULT 24, max_revisions INTEGER DEFAULT 1, example_input TEXT DEFAULT '', example_output TEXT DEFAULT '', api_schema TEXT, status TEXT DEFAULT 'active', rating REAL DEFAULT 0, total_orders INTEGER DEFAULT 0, created_at TEXT DEFAULT (datetime('now')), updated_at TEXT DEFAULT (datetime('now')));
CREATE TABLE orders (id TEXT PRIMARY KEY, gig_id TEXT NOT NULL REFERENCES gigs(id), buyer_id TEXT NOT NULL REFERENCES agents(id), seller_id TEXT NOT NULL REFERENCES agents(id), tier TEXT DEFAULT 'basic', price REAL NOT NULL, brief TEXT DEFAULT '', input_data TEXT, delivery_data TEXT, delivery_hash TEXT, status TEXT DEFAULT 'pending', deadline TEXT, created_at TEXT DEFAULT (datetime('now')), updated_at TEXT DEFAULT (datetime('now')), delivered_at TEXT, completed_at TEXT);
CREATE TABLE messages (id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(id), sender_id TEXT NOT NULL REFERENCES agents(id), content TEXT NOT NULL, message_type TEXT DEFAULT 'text', created_at TEXT DEFAULT (datetime('now')));
CREATE TABLE categories (id TEXT PRIMARY KEY, name TEXT NOT NULL, slug TEXT UNIQUE, description TEXT DEFAULT '', icon TEXT DEFAULT '');
CREATE TABLE reviews (id TEXT PRIMARY KEY, order_id TEXT REFERENCES orders(id), reviewer_id TEXT REFERENCES agents(id), agent_id TEXT REFERENCES agents(id), rating INTEGER, comment TEXT DEFAULT '', created_at TEXT DEFAULT (datetime('now')));
CREATE INDEX idx_orders_seller_status ON orders(seller_id, status, created_at);
CREATE INDEX idx_orders_buyer_status ON orders(buyer_id, status, created_at);
CREATE INDEX idx_gigs_agent ON gigs(agent_id);
CREATE INDEX idx_agents_owner_wallet ON agents(owner_wallet);
CREATE INDEX idx_agents_api_key_hash ON agents(api_key_hash);
CREATE INDEX idx_messages_order ON messages(order_id, created_at);
CREATE INDEX idx_reviews_agent ON reviews(agent_id, created_at);
INSERT INTO categories (id, name, slug, description, icon) VALUES
 ('cat_data', 'Data Processing', 'data', 'Scraping, cleaning, transforming and analysing data', 'x'),
 ('cat_code', 'Code & Development', 'code', 'Writing, reviewing and fixing code', 'x');
INSERT INTO agents (id, name, owner_wallet, wallet_address, api_key_hash, rating, total_orders, completed_orders, earnings, created_at)
 VALUES ('seller-1', 'veteran', '0x00000000000000000000000000000000000000aa', '0xabc',
         '9b8b4d7e1bd1ed8c1f1e0d5b0f9d8c7e6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d', 4, 2, 1, 12.5, '2026-01-02 03:04:05');
INSERT INTO agents (id, name, owner_wallet, wallet_address) VALUES ('buyer-1', 'client', '0x00000000000000000000000000000000000000bb', '0xdef');
INSERT INTO gigs (id, agent_id, title, description, category, price_basic, desc_basic, rating, total_orders)
 VALUES ('gig-1', 'seller-1', 'Old gig', 'd', 'code', 12.5, 'b', 4, 2);
INSERT INTO orders (id, gig_id, buyer_id, seller_id, price, status, completed_at, delivered_at)
 VALUES ('order-1', 'gig-1', 'buyer-1', 'seller-1', 12.5, 'completed', '2026-01-03 00:00:00', '2026-01-02 23:00:00');
INSERT INTO orders (id, gig_id, buyer_id, seller_id, price, status) VALUES ('order-2', 'gig-1', 'buyer-1', 'seller-1', 12.5, 'pending');
INSERT INTO messages (id, order_id, sender_id, content) VALUES ('msg-1', 'order-1', 'buyer-1', 'thanks');
INSERT INTO reviews (id, order_id, reviewer_id, agent_id, rating, comment) VALUES ('rev-1', 'order-1', 'buyer-1', 'seller-1', 4, 'ok');
)sql";

TEST(ServerContractRows, ADatabaseOfThePreviousVersionMigratesOnStart) {
  gigent::testing::TempDir dir;
  std::string path = dir.file("previous.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, kPreviousSchema, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_close(db);

  ServerProcess server({}, path);
  Client api(server.url());
  auto seller = api.get("/api/agents/seller-1");
  ASSERT_EQ(seller.status, 200) << seller.raw;
  expect_shape(seller.body, kAgent, "migrated agent");
  EXPECT_EQ(seller.body["name"], "veteran");
  EXPECT_EQ(seller.body["rating_avg"], 4);
  EXPECT_EQ(seller.body["rating_count"], 1);
  EXPECT_EQ(seller.body["total_orders_completed"], 1);
  EXPECT_DOUBLE_EQ(seller.body["total_earnings"].get<double>(), 12.5);
  EXPECT_EQ(seller.body["created_at"], "2026-01-02 03:04:05");
  EXPECT_TRUE(seller.body["avatar_url"].is_null());
  EXPECT_FALSE(seller.body.contains("rating"));
  EXPECT_FALSE(seller.body.contains("earnings"));
  ASSERT_EQ(seller.body["reviews"].size(), 1u);
  expect_shape(seller.body["reviews"][0], kReview, "migrated review");
  EXPECT_EQ(seller.body["reviews"][0]["reviewed_id"], "seller-1");
  EXPECT_EQ(seller.body["reviews"][0]["gig_id"], "gig-1");

  auto gig = api.get("/api/gigs/gig-1");
  expect_shape(gig.body, kGig, "migrated gig");
  EXPECT_EQ(gig.body["rating_avg"], 4);
  EXPECT_EQ(gig.body["rating_count"], 1);
  EXPECT_EQ(gig.body["order_count"], 1);
  EXPECT_EQ(gig.body["delivery_time_hours"], 24);  // kept: only new gigs get the new default
  EXPECT_TRUE(gig.body["subcategory"].is_null());

  auto cats = api.get("/api/categories").body["categories"];
  ASSERT_EQ(cats.size(), 8u);
  EXPECT_EQ(cats[0]["name"], "Data & Analysis");
  EXPECT_EQ(cats[0]["sort_order"], 1);

  // The owner of the old agent may now register a second one.
  auto second = api.post("/api/agents/register",
                         {{"name", "second"}, {"owner_wallet", "0x00000000000000000000000000000000000000aa"}});
  EXPECT_EQ(second.status, 201) << second.raw;
  Agent fresh{second.body.value("id", ""), second.body.value("api_key", "")};

  // The migrated order rows take part in the new flow: the pending one can be walked and counted.
  auto bought = api.post("/api/orders", {{"gig_id", "gig-1"}, {"pay_now", false}}, fresh.key);
  ASSERT_EQ(bought.status, 201) << bought.raw;
  expect_shape(bought.body, kOrder, "order on a migrated gig");
  EXPECT_EQ(bought.body["max_revisions"], 1);

  // Restarting on the migrated file changes nothing.
  server.restart();
  Client again(server.url());
  EXPECT_EQ(again.get("/api/agents/seller-1").body["total_orders_completed"], 1);
  EXPECT_EQ(again.get("/api/agents?owner_wallet=0x00000000000000000000000000000000000000aa").body["total"], 2);
  server.stop();

  // The old order rows carry every order column (read from the file: order
  // reads need a party's key, and the old keys are not known here).
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT * FROM orders WHERE id = 'order-1'", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  std::map<std::string, std::string> row;
  for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
    auto* text = sqlite3_column_text(stmt, i);
    row[sqlite3_column_name(stmt, i)] = text ? reinterpret_cast<const char*>(text) : "NULL";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  for (const auto& [key, kind] : kOrder) EXPECT_TRUE(row.count(key)) << key;
  EXPECT_EQ(row["revisions_used"], "0");
  EXPECT_EQ(row["max_revisions"], "1");
  EXPECT_EQ(row["completed_at"], "2026-01-03 00:00:00");
  EXPECT_EQ(row["accepted_at"], "NULL");
}

}  // namespace
