// The order state machine and the store, against a real database: a SQLite
// file, or a fresh PostgreSQL database in the suite's PostgreSQL run.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/secret.h"
#include "server/order_events.h"
#include "server/order_state.h"
#include "server/store.h"
#include "support/process.h"
#include "support/test_database.h"

namespace gigent::server {
namespace {

using gigent::testing::TempDir;
using gigent::testing::TestDatabase;

// ------------------------------------------------------------ state machine

TEST(OrderState, EveryDocumentedTransitionIsAllowed) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> table{
      {"pending", {"accepted", "rejected", "cancelled"}},
      {"accepted", {"in_progress", "cancelled"}},
      {"in_progress", {"delivered", "cancelled"}},
      {"delivered", {"completed", "revision_requested", "disputed"}},
      {"revision_requested", {"in_progress"}},
      {"disputed", {"resolved", "completed", "cancelled"}},
  };
  for (const auto& [from, targets] : table) {
    EXPECT_EQ(next_statuses(from), targets) << from;
    for (const auto& to : targets) EXPECT_TRUE(can_transition(from, to)) << from << " -> " << to;
  }
}

TEST(OrderState, EverythingElseIsRefused) {
  const std::vector<std::string> all{"pending",   "accepted",  "rejected", "cancelled",          "in_progress",
                                     "delivered", "completed", "disputed", "revision_requested", "resolved"};
  std::size_t allowed = 0;
  for (const auto& from : all)
    for (const auto& to : all) allowed += can_transition(from, to) ? 1 : 0;
  EXPECT_EQ(allowed, 14u);  // the 14 edges above and no more
  EXPECT_FALSE(can_transition("pending", "completed"));
  EXPECT_FALSE(can_transition("completed", "pending"));
  EXPECT_FALSE(can_transition("pending", "pending"));
  EXPECT_FALSE(can_transition("banana", "accepted"));
  EXPECT_TRUE(next_statuses("completed").empty());
  EXPECT_TRUE(next_statuses("banana").empty());
}

TEST(OrderState, DeliveryMayStartFromAcceptedInProgressOrRevision) {
  EXPECT_TRUE(can_deliver_from("accepted"));
  EXPECT_TRUE(can_deliver_from("in_progress"));
  EXPECT_TRUE(can_deliver_from("revision_requested"));
  for (auto s : {"pending", "delivered", "completed", "cancelled", "rejected", "disputed", "resolved"})
    EXPECT_FALSE(can_deliver_from(s)) << s;
}

TEST(OrderState, PartiesFollowWhoDoesTheWork) {
  EXPECT_EQ(required_party("pending", "accepted"), Party::Seller);
  EXPECT_EQ(required_party("pending", "rejected"), Party::Seller);
  EXPECT_EQ(required_party("accepted", "in_progress"), Party::Seller);
  EXPECT_EQ(required_party("in_progress", "delivered"), Party::Seller);
  EXPECT_EQ(required_party("revision_requested", "in_progress"), Party::Seller);
  EXPECT_EQ(required_party("delivered", "completed"), Party::Buyer);
  EXPECT_EQ(required_party("delivered", "revision_requested"), Party::Buyer);
  EXPECT_EQ(required_party("delivered", "disputed"), Party::Buyer);
  EXPECT_EQ(required_party("pending", "cancelled"), Party::Buyer);
  EXPECT_EQ(required_party("accepted", "cancelled"), Party::Either);
  EXPECT_EQ(required_party("disputed", "resolved"), Party::Buyer);
  EXPECT_EQ(required_party("disputed", "completed"), Party::Buyer);
  EXPECT_EQ(required_party("disputed", "cancelled"), Party::Either);
}

TEST(OrderState, ErrorTextMatchesTheDeployedService) {
  EXPECT_EQ(transition_error("pending", "completed"), "Cannot go from \"pending\" to \"completed\"");
}

// -------------------------------------------------------------------- store

struct Fixture {
  TempDir dir;
  TestDatabase db{dir.path()};
  Store store{db.db()};
  Registration seller = store.register_agent({"seller", "", "code", "[]", "", wallet(1)});
  Registration buyer = store.register_agent({"buyer", "", "", "[]", "", wallet(2)});
  std::string seller_id = seller.agent["id"].get<std::string>();
  std::string buyer_id = buyer.agent["id"].get<std::string>();
  std::string gig_id = store
                           .create_gig({{"agent_id", seller_id},
                                        {"title", "t"},
                                        {"description", "d"},
                                        {"category", "code"},
                                        {"price_basic", 5},
                                        {"price_premium", 20.5},
                                        {"delivery_time_hours", 48}})["id"]
                           .get<std::string>();

  static std::string wallet(int n) {
    char out[43];
    std::snprintf(out, sizeof out, "0x%040d", n);
    return out;
  }
  std::string place(const std::string& tier = "basic") {
    auto placed = store.place_order({gig_id, buyer_id, tier, "brief", std::nullopt});
    EXPECT_EQ(placed.outcome, OrderPlacement::Outcome::Created);
    return placed.order["id"].get<std::string>();
  }
};

TEST(Store, RegistrationReturnsRowAndKeyButStoresOnlyTheHash) {
  Fixture f;
  const auto& key = f.seller.api_key;
  ASSERT_EQ(key.size(), 51u);
  EXPECT_EQ(key.substr(0, 3), "sk_");
  EXPECT_EQ(f.seller.agent["api_key"], key);
  EXPECT_FALSE(f.seller.agent.contains("api_key_hash"));
  EXPECT_EQ(f.seller.agent["status"], "active");
  EXPECT_EQ(f.seller.agent["wallet_address"], wallet_address_for(f.seller_id));
  EXPECT_EQ(f.seller.agent["wallet_address"].get<std::string>().size(), 42u);
  EXPECT_EQ(f.store.agent_for_key(key), f.seller_id);
  EXPECT_EQ(f.store.agent_for_key("sk_wrong"), std::nullopt);

  // Read through a connection of its own, as anyone with the database would.
  auto row = f.store.connection()->query_one("SELECT api_key_hash FROM agents WHERE id = ?1", {f.seller_id});
  ASSERT_TRUE(row);
  std::string stored = (*row)["api_key_hash"].get<std::string>();
  EXPECT_EQ(stored.size(), 64u);
  EXPECT_EQ(stored.find(key), std::string::npos);
}

// The deployed service registers any number of agents for one owner wallet.
TEST(Store, OneOwnerWalletMayRegisterManyAgents) {
  Fixture f;
  const auto first = f.store.register_agent({"again", "", "", "[]", "", Fixture::wallet(1)});
  const auto second = f.store.register_agent({"b", "", "", "[]", "", Fixture::wallet(1)});
  ASSERT_FALSE(first.agent.value("id", "").empty());
  ASSERT_FALSE(second.agent.value("id", "").empty());
  EXPECT_NE(first.agent.value("id", ""), second.agent.value("id", ""));
  EXPECT_NE(first.api_key, second.api_key);
  EXPECT_NE(first.agent.value("wallet_address", ""), second.agent.value("wallet_address", ""));
}

TEST(Store, HeartbeatSetsLastSeenAndOnlineness) {
  Fixture f;
  EXPECT_EQ((*f.store.agent(f.seller_id))["is_online"], false);
  auto seen = f.store.heartbeat(f.seller_id);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->size(), 19u);  // "YYYY-MM-DD HH:MM:SS"
  auto agent = *f.store.agent(f.seller_id);
  EXPECT_EQ(agent["is_online"], true);
  EXPECT_EQ(agent["last_seen"], *seen);
  EXPECT_FALSE(f.store.heartbeat("no-such-agent"));
}

TEST(Store, OrderTakesPriceFromTierAndDeadlineFromDeliveryTime) {
  Fixture f;
  auto order = *f.store.order(f.place("premium"));
  EXPECT_EQ(order["status"], "pending");
  EXPECT_EQ(order["price"], 20.5);
  EXPECT_EQ(order["seller_id"], f.seller_id);
  std::string deadline = order["deadline"];
  ASSERT_EQ(deadline.size(), 24u);
  EXPECT_EQ(deadline.back(), 'Z');
  EXPECT_EQ(deadline[10], 'T');
  EXPECT_GT(deadline, iso_deadline_from_now(47));
  EXPECT_LT(deadline, iso_deadline_from_now(49));
  EXPECT_EQ(f.store.place_order({f.gig_id, f.buyer_id, "standard", "", std::nullopt}).outcome,
            OrderPlacement::Outcome::TierUnavailable);
  EXPECT_EQ(f.store.place_order({f.gig_id, f.seller_id, "basic", "", std::nullopt}).outcome,
            OrderPlacement::Outcome::OwnGig);
  EXPECT_EQ(f.store.place_order({"nope", f.buyer_id, "basic", "", std::nullopt}).outcome,
            OrderPlacement::Outcome::GigNotFound);
  EXPECT_EQ(f.store.place_order({f.gig_id, "nobody", "basic", "", std::nullopt}).outcome,
            OrderPlacement::Outcome::BuyerNotFound);
  f.store.update_gig(f.gig_id, {{"status", "paused"}});
  EXPECT_EQ(f.store.place_order({f.gig_id, f.buyer_id, "basic", "", std::nullopt}).outcome,
            OrderPlacement::Outcome::GigNotFound);
}

TEST(Store, TransitionOnlyFromTheExpectedStatus) {
  Fixture f;
  std::string id = f.place();
  auto done = f.store.transition(id, "pending", "accepted");
  ASSERT_EQ(done.outcome, TransitionResult::Outcome::Done);
  EXPECT_EQ(done.order["status"], "accepted");
  auto again = f.store.transition(id, "pending", "accepted");
  EXPECT_EQ(again.outcome, TransitionResult::Outcome::Invalid);
  EXPECT_EQ(again.current_status, "accepted");
  EXPECT_EQ(f.store.transition("missing", "pending", "accepted").outcome, TransitionResult::Outcome::NotFound);
  auto delivered = f.store.deliver(id, R"({"content":"x","format":"text"})", "h");
  ASSERT_EQ(delivered.outcome, TransitionResult::Outcome::Done);
  EXPECT_EQ(delivered.order["delivery_data"], R"({"content":"x","format":"text"})");
  EXPECT_TRUE(delivered.order["delivered_at"].is_string());
  EXPECT_EQ(f.store.deliver(id, "{}", "h").outcome, TransitionResult::Outcome::Invalid);
  auto completed = f.store.transition(id, "delivered", "completed");
  EXPECT_TRUE(completed.order["completed_at"].is_string());
  auto seller = *f.store.agent(f.seller_id);
  // The deployed row's counters: completion adds the order and its price.
  EXPECT_EQ(seller["total_orders_completed"], 1);
  EXPECT_EQ(seller["total_earnings"], 5);
}

TEST(Store, ConcurrentTransitionsHaveExactlyOneWinner) {
  Fixture f;
  for (int round = 0; round < 20; ++round) {
    std::string id = f.place();
    std::atomic<int> wins{0}, losses{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> racers;
    racers.reserve(4);
    for (int i = 0; i < 4; ++i)
      racers.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        auto r = f.store.transition(id, "pending", "accepted");
        (r.outcome == TransitionResult::Outcome::Done ? wins : losses)++;
      });
    go = true;
    for (auto& t : racers) t.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(losses.load(), 3);
  }
}

TEST(Store, OrdersPageNewestFirstWithNames) {
  Fixture f;
  std::vector<std::string> ids;
  ids.reserve(25);
  for (int i = 0; i < 25; ++i) ids.push_back(f.place());
  OrderFilter filter;
  filter.agent_id = f.seller_id;
  filter.role = "seller";
  filter.statuses = {"pending"};
  auto first = f.store.list_orders(filter);
  ASSERT_EQ(first.size(), 20u);
  EXPECT_EQ(first.front()["id"], ids.back());  // same second: rowid breaks the tie
  EXPECT_EQ(first.front()["gig_title"], "t");
  EXPECT_EQ(first.front()["buyer_name"], "buyer");
  EXPECT_EQ(first.front()["seller_name"], "seller");
  filter.offset = 20;
  auto second = f.store.list_orders(filter);
  ASSERT_EQ(second.size(), 5u);
  std::set<std::string> seen;
  for (auto& o : first) seen.insert(o["id"]);
  for (auto& o : second) seen.insert(o["id"]);
  EXPECT_EQ(seen.size(), 25u);
  filter.role = "buyer";
  filter.offset = 0;
  EXPECT_TRUE(f.store.list_orders(filter).empty());
}

TEST(Store, InjectionShapedTextIsStoredLiterally) {
  Fixture f;
  std::string name = "Robert'); DROP TABLE agents;--";
  auto r = f.store.register_agent({name, "plain", "", "[]", "", Fixture::wallet(9)});
  EXPECT_EQ((*f.store.agent(r.agent["id"].get<std::string>()))["name"], name);
  AgentFilter filter;
  filter.search = "%";
  EXPECT_EQ(f.store.list_agents(filter)["total"], 0);  // % is a literal, matching nothing
  filter.search = "DROP TABLE";
  EXPECT_EQ(f.store.list_agents(filter)["total"], 1);
}

TEST(Store, CategoriesAreSeededOnce) {
  TempDir dir;
  TestDatabase db(dir.path());
  { Store first(db.db()); }
  Store store(db.db());
  auto cats = store.categories();
  ASSERT_EQ(cats.size(), 8u);
  std::set<std::string> slugs;
  for (auto& c : cats) slugs.insert(c["slug"]);
  EXPECT_EQ(slugs,
            (std::set<std::string>{"data", "code", "writing", "creative", "research", "finance", "automation", "ai"}));
  EXPECT_EQ(cats[1]["id"], "cat_code");
  EXPECT_EQ(cats[1]["gig_count"], 0);
}

TEST(Store, MigratesAnOldAgentsTableWithoutLastSeen) {
  GIGENT_SQLITE_ONLY("an agents table of an early SQLite version");
  TempDir dir;
  std::string path = dir.file("old.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_wallet TEXT UNIQUE, "
                         "api_key_hash TEXT, status TEXT DEFAULT 'active', created_at TEXT DEFAULT (datetime('now')));"
                         "INSERT INTO agents (id, name, owner_wallet) VALUES ('old-1', 'veteran', "
                         "'0x0000000000000000000000000000000000000001');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  Store store(path);
  auto agent = store.agent("old-1");
  ASSERT_TRUE(agent);
  EXPECT_EQ((*agent)["name"], "veteran");
  EXPECT_TRUE((*agent)["last_seen"].is_null());
  EXPECT_EQ((*agent)["is_online"], false);
  ASSERT_TRUE(store.heartbeat("old-1"));
  EXPECT_EQ((*store.agent("old-1"))["is_online"], true);
  auto cols = store.connection()->query("PRAGMA table_info(agents)");
  std::set<std::string> names;
  for (auto& c : cols) names.insert(c["name"]);
  EXPECT_TRUE(names.count("last_seen"));
  EXPECT_TRUE(names.count("wallet_address"));
  auto plan = store.connection()->query(
      "EXPLAIN QUERY PLAN SELECT * FROM orders WHERE seller_id = 'x' AND status = 'pending' "
      "ORDER BY created_at DESC");
  EXPECT_NE(plan.at(0)["detail"].get<std::string>().find("idx_orders_seller_status"), std::string::npos);
}

// A connection that goes back to the pool inside a transaction would hand
// it to the next request: its BEGIN fails, or its writes join a transaction
// nobody commits. Such a connection is closed (rolling back) instead.
TEST(Store, AConnectionLeftInATransactionIsNotPooled) {
  Fixture f;
  {
    auto lease = f.store.connection();
    lease->exec_script("BEGIN");
    lease->execute("UPDATE agents SET description = 'never committed'");
  }
  EXPECT_NO_THROW(f.store.write([](Connection& conn) { conn.execute("UPDATE agents SET name = 'renamed'"); }));
  auto seller = f.store.agent(f.seller_id);
  EXPECT_EQ((*seller)["name"], "renamed");
  EXPECT_EQ((*seller)["description"], "");
}

TEST(Store, AFailedWriteRollsBackAndLeavesAUsableConnection) {
  Fixture f;
  struct Boom {};
  EXPECT_THROW(f.store.write([](Connection& conn) {
    conn.execute("UPDATE agents SET name = 'half done'");
    throw Boom{};
  }),
               Boom);
  EXPECT_EQ((*f.store.agent(f.seller_id))["name"], "seller");
  // A statement error inside the transaction: SQLite may end the transaction
  // itself, and the store must cope either way.
  EXPECT_THROW(f.store.write([](Connection& conn) { conn.execute("INSERT INTO agents (id) VALUES ('x')"); }),
               StoreError);
  EXPECT_NO_THROW(f.store.write([](Connection& conn) { conn.execute("UPDATE agents SET status = 'active'"); }));
}

TEST(Store, UnopenablePathIsAClearError) {
  GIGENT_SQLITE_ONLY("a file path");
  try {
    Store store("/nonexistent-dir/for/sure/g.db");
    FAIL() << "opened an impossible path";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/for/sure/g.db"), std::string::npos);
  }
}

}  // namespace
}  // namespace gigent::server

namespace gigent::server {
namespace {

TEST(Store, JsonListTextMatchesTheDocument) {
  Fixture f;
  std::string brief = "quotes \" back\\slash \n\t\r\b\f \x01 \x1f del\x7f é 日本 🙂 </script>";
  for (const auto& tier : {"basic", "premium"})
    ASSERT_EQ(f.store.place_order({f.gig_id, f.buyer_id, tier, brief, R"({"k":[1,2.5,"x"]})"}).outcome,
              OrderPlacement::Outcome::Created);
  OrderFilter filter;
  filter.agent_id = f.seller_id;
  Json document = Json::array();
  for (auto& row : f.store.list_orders(filter)) document.push_back(row);
  std::string text = f.store.list_orders_json(filter);
  EXPECT_EQ(text, document.dump());
  EXPECT_EQ(Json::parse(text)[0]["brief"], brief);
  EXPECT_EQ(Json::parse(text)[0]["price"], 20.5);
  filter.agent_id = "nobody";
  EXPECT_EQ(f.store.list_orders_json(filter), "[]");
}

// ------------------------------------------------- multi-agent wait's parts

TEST(Store, AgentsForKeysAnswersEachKeyInOrderAndForgetsARotatedOne) {
  Fixture f;
  const std::string old_key = f.seller.api_key;
  EXPECT_EQ(f.store.agent_for_key(old_key), f.seller_id);  // cached now
  auto found = f.store.agents_for_keys({f.buyer.api_key, "sk_unknown", old_key, f.buyer.api_key});
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0], f.buyer_id);
  EXPECT_EQ(found[1], std::nullopt);
  EXPECT_EQ(found[2], f.seller_id);
  EXPECT_EQ(found[3], f.buyer_id);
  auto new_key = f.store.rotate_key(f.seller_id);
  ASSERT_TRUE(new_key);
  found = f.store.agents_for_keys({old_key, *new_key});
  EXPECT_EQ(found[0], std::nullopt);
  EXPECT_EQ(found[1], f.seller_id);
  EXPECT_EQ(f.store.agent_for_key(old_key), std::nullopt);
}

// More keys than one IN list holds, of agents made straight in the table.
TEST(Store, AgentsForKeysQueriesMoreKeysThanOneList) {
  Fixture f;
  std::vector<std::string> keys;
  f.store.write([&](Connection& conn) {
    for (int i = 0; i < 1100; ++i) {
      keys.push_back("sk_bulk_" + std::to_string(i));
      conn.execute(
          "INSERT INTO agents (id, name, owner_wallet, wallet_address, api_key_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
          {"bulk-" + std::to_string(i), "bulk", Fixture::wallet(9), wallet_address_for("bulk-" + std::to_string(i)),
           sha256_hex(keys.back())});
    }
  });
  keys.emplace_back("sk_nobody");
  auto found = f.store.agents_for_keys(keys);
  ASSERT_EQ(found.size(), keys.size());
  for (int i = 0; i < 1100; ++i) EXPECT_EQ(found[static_cast<std::size_t>(i)], "bulk-" + std::to_string(i));
  EXPECT_EQ(found.back(), std::nullopt);
}

TEST(Store, OrderCountsGroupsBySideAndStatus) {
  Fixture f;
  std::string first = f.place(), second = f.place();
  f.place();
  ASSERT_EQ(f.store.transition(first, "pending", "accepted").outcome, TransitionResult::Outcome::Done);
  ASSERT_EQ(f.store.transition(second, "pending", "cancelled").outcome, TransitionResult::Outcome::Done);
  const std::vector<std::string> both{f.seller_id, f.buyer_id, "nobody"};
  auto pending = f.store.order_counts(both, "seller", {"pending"});
  EXPECT_EQ(pending, (std::unordered_map<std::string, std::int64_t>{{f.seller_id, 1}}));
  auto open = f.store.order_counts(both, "seller", {"pending", "accepted"});
  EXPECT_EQ(open, (std::unordered_map<std::string, std::int64_t>{{f.seller_id, 2}}));
  auto bought = f.store.order_counts(both, "buyer", {"pending", "accepted", "cancelled"});
  EXPECT_EQ(bought, (std::unordered_map<std::string, std::int64_t>{{f.buyer_id, 3}}));
  EXPECT_TRUE(f.store.order_counts(both, "seller", {"delivered"}).empty());
  // Lists longer than one IN list: the agent in the second chunk is counted.
  std::vector<std::string> many;
  many.reserve(1501);
  for (int i = 0; i < 1500; ++i) many.push_back("agent-" + std::to_string(i));
  many.push_back(f.seller_id);
  EXPECT_EQ(f.store.order_counts(many, "seller", {"pending"}),
            (std::unordered_map<std::string, std::int64_t>{{f.seller_id, 1}}));
}

TEST(OrderEvents, CursorsNameThisInstanceOnly) {
  OrderEvents events, other;
  EXPECT_EQ(events.now(), 0u);
  EXPECT_EQ(events.parse_cursor(events.cursor(0)), 0u);
  events.record("s", "b");
  EXPECT_EQ(events.parse_cursor(events.cursor(1)), 1u);
  EXPECT_EQ(events.parse_cursor(events.cursor(2)), std::nullopt);  // not handed out yet
  EXPECT_EQ(events.parse_cursor(other.cursor(0)), std::nullopt);
  for (const char* junk : {"", "-", "1", "x-1"}) EXPECT_EQ(events.parse_cursor(junk), std::nullopt) << junk;
  const std::string mine = events.cursor(1);
  EXPECT_EQ(events.parse_cursor(mine + "0"), std::nullopt);
  EXPECT_EQ(events.parse_cursor(mine.substr(0, mine.size() - 1) + "+1"), std::nullopt);
  EXPECT_EQ(events.parse_cursor(mine.substr(0, mine.size() - 1) + "1x"), std::nullopt);
}

TEST(OrderEvents, ChangesAreTrackedPerSideSinceACursor) {
  OrderEvents events;
  const std::uint64_t start = events.now();
  events.record("alice", "bob");
  const std::uint64_t middle = events.now();
  events.record("carol", "alice");
  const std::vector<std::string> all{"alice", "bob", "carol", "dave"};
  EXPECT_EQ(events.changed_since(all, OrderSide::Seller, start), (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(events.changed_since(all, OrderSide::Buyer, start), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(events.changed_since(all, OrderSide::Seller, middle), (std::vector<std::string>{"carol"}));
  EXPECT_EQ(events.changed_since(all, OrderSide::Buyer, middle), (std::vector<std::string>{"alice"}));
  EXPECT_TRUE(events.changed_since(all, OrderSide::Seller, events.now()).empty());
  EXPECT_EQ(events.agents_tracked(), 3u);
}

// After a gap (announcements lost) an older cursor is unknown and a wait
// since before it must look at every agent; later cursors work as before.
TEST(OrderEvents, AGapForgetsOlderCursorsAndNamesEveryAgent) {
  OrderEvents events;
  events.record("alice", "bob");
  const std::uint64_t before = events.now();
  const std::string old_cursor = events.cursor(before);
  events.gap();
  EXPECT_EQ(events.parse_cursor(old_cursor), std::nullopt);
  const std::vector<std::string> all{"alice", "bob", "carol"};
  EXPECT_EQ(events.changed_since(all, OrderSide::Seller, before), all);
  const std::uint64_t after = events.now();
  EXPECT_EQ(events.parse_cursor(events.cursor(after)), after);
  EXPECT_TRUE(events.changed_since(all, OrderSide::Seller, after).empty());
  events.record("carol", "alice");
  EXPECT_EQ(events.changed_since(all, OrderSide::Seller, after), (std::vector<std::string>{"carol"}));
}

}  // namespace
}  // namespace gigent::server
