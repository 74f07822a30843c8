// gigent-server under the trust rules: who may read an order, who may end a
// dispute, and a database write that waits without stalling anything else.
// The real binary, real sockets, a real SQLite file.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/server_client.h"
#include "support/process.h"
#include "support/test_database.h"

namespace {

using namespace gigent::testing::server_client;  // NOLINT(google-build-using-namespace)
using nlohmann::json;

const std::string kUnknownKey = "sk_" + std::string(48, '0');

// ------------------------------------------------------------ who reads what

TEST(ServerReadRules, AnOrderAndItsMessagesAreTheParties) {
  Market m;
  std::string order = place_order(m.api, m.buyer, m.gig);
  ASSERT_EQ(
      m.api.post("/api/orders/" + order + "/messages", {{"content", "the brief, in private"}}, m.buyer.key).status,
      201);
  for (const std::string& path :
       std::vector<std::string>{"/api/orders/" + order, "/api/orders/" + order + "/messages"}) {
    auto anonymous = m.api.get(path);
    EXPECT_EQ(anonymous.status, 401) << path;
    EXPECT_EQ(anonymous.body["error"], "Missing API key") << path;
    EXPECT_EQ(m.api.get(path, kUnknownKey).status, 401) << path;
    auto stranger = m.api.get(path, m.outsider.key);
    EXPECT_EQ(stranger.status, 403) << path;
    // A refusal reveals nothing of the order.
    EXPECT_EQ(stranger.body, (json{{"error", "Only the buyer or the seller can read this order"}})) << path;
    EXPECT_EQ(stranger.raw.find("brief"), std::string::npos) << path;
    EXPECT_EQ(m.api.get(path, m.buyer.key).status, 200) << path;
    EXPECT_EQ(m.api.get(path, m.seller.key).status, 200) << path;
  }
  EXPECT_EQ(m.api.get("/api/orders/" + order, m.seller.key).body["messages"][0]["content"], "the brief, in private");
  EXPECT_EQ(m.api.get("/api/orders/no-such-order", m.outsider.key).status, 404);
  EXPECT_EQ(m.api.get("/api/orders/no-such-order").status, 401);
}

TEST(ServerReadRules, AListShowsOnlyTheKeysOwnOrders) {
  Market m;
  std::string mine = place_order(m.api, m.buyer, m.gig);
  // The outsider buys too, so that "every order" and "my orders" differ.
  std::string theirs = place_order(m.api, m.outsider, m.gig);

  EXPECT_EQ(m.api.get("/api/orders").status, 401);
  EXPECT_EQ(m.api.get("/api/orders?agent_id=" + m.buyer.id).status, 401);
  EXPECT_EQ(m.api.get("/api/orders", kUnknownKey).status, 401);
  auto spying = m.api.get("/api/orders?agent_id=" + m.seller.id + "&role=seller", m.outsider.key);
  EXPECT_EQ(spying.status, 403);
  EXPECT_TRUE(spying.body["error"].is_string());

  auto own = m.api.get("/api/orders", m.buyer.key);
  ASSERT_EQ(own.status, 200) << own.raw;
  ASSERT_EQ(own.body["orders"].size(), 1u);
  EXPECT_EQ(own.body["orders"][0]["id"], mine);
  auto named = m.api.get("/api/orders?agent_id=" + m.buyer.id + "&role=buyer", m.buyer.key);
  ASSERT_EQ(named.body["orders"].size(), 1u);
  auto seller = m.api.get("/api/orders?role=seller", m.seller.key);
  EXPECT_EQ(seller.body["orders"].size(), 2u);
  // A long-poll is a list too.
  EXPECT_EQ(m.api.get("/api/orders?agent_id=" + m.seller.id + "&wait=1", m.buyer.key).status, 403);
  EXPECT_NE(theirs, mine);
}

TEST(ServerReadRules, PublicDataStaysPublic) {
  Market m;
  place_order(m.api, m.buyer, m.gig);
  for (const std::string& path :
       std::vector<std::string>{"/api/health", "/api/categories", "/api/agents", "/api/agents/" + m.seller.id,
                                "/api/gigs", "/api/gigs/" + m.gig})
    EXPECT_EQ(m.api.get(path).status, 200) << path;
}

TEST(ServerReadRules, UnauthenticatedModeKeepsReadsOpen) {
  Market m({"--allow-unauthenticated"});
  std::string order = place_order(m.api, m.buyer, m.gig);
  EXPECT_EQ(m.api.get("/api/orders/" + order).status, 200);
  EXPECT_EQ(m.api.get("/api/orders/" + order + "/messages").status, 200);
  EXPECT_EQ(m.api.get("/api/orders/" + order, m.outsider.key).status, 200);
  auto all = m.api.get("/api/orders");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body["orders"].size(), 1u);
  EXPECT_EQ(m.api.get("/api/orders?agent_id=" + m.seller.id).body["orders"].size(), 1u);
}

// ------------------------------------------------------------------ disputes

// An order driven to `disputed` by its parties.
std::string disputed_order(Market& m) {
  std::string order = place_order(m.api, m.buyer, m.gig);
  auto move = [&](const char* to, const Agent& who) {
    auto r = m.api.patch("/api/orders/" + order + "/status", {{"status", to}}, who.key);
    EXPECT_EQ(r.status, 200) << to << ": " << r.raw;
  };
  move("accepted", m.seller);
  EXPECT_EQ(m.api.post("/api/orders/" + order + "/deliver", {{"delivery_data", "x"}}, m.seller.key).status, 200);
  move("disputed", m.buyer);
  return order;
}

TEST(ServerDisputes, OnlyTheBuyerEndsItsDispute) {
  Market m;
  auto to = [&](const std::string& order, const char* status, const Agent& who) {
    return m.api.patch("/api/orders/" + order + "/status", {{"status", status}}, who.key).status;
  };
  std::string order = disputed_order(m);
  EXPECT_EQ(to(order, "resolved", m.seller), 403);
  EXPECT_EQ(to(order, "completed", m.seller), 403);
  EXPECT_EQ(to(order, "resolved", m.outsider), 403);
  EXPECT_EQ(status_of(m.api, order, m.buyer.key), "disputed");
  EXPECT_EQ(to(order, "resolved", m.buyer), 200);

  std::string withdrawn = disputed_order(m);
  EXPECT_EQ(to(withdrawn, "completed", m.buyer), 200);

  // Cancelling stays open to either party.
  std::string by_seller = disputed_order(m);
  EXPECT_EQ(to(by_seller, "cancelled", m.outsider), 403);
  EXPECT_EQ(to(by_seller, "cancelled", m.seller), 200);
  std::string by_buyer = disputed_order(m);
  EXPECT_EQ(to(by_buyer, "cancelled", m.buyer), 200);
}

// ------------------------------------------------- a write waiting on a lock

// Another process holds the lock a write needs (SQLite: the file's write
// lock, from a second connection in the test; PostgreSQL: the agent's row,
// locked by another session). A write that arrives meanwhile waits for it; on
// a one-thread server, health, timers and long-polls must still be answered
// while it waits, and the write must go through once the lock is released.
TEST(ServerBlocking, HealthAnswersWhileAWriteWaitsForTheLock) {
  Market m({"--threads", "1"});
  std::function<void()> release;
  sqlite3* other = nullptr;
  std::unique_ptr<gigent::testing::PostgresSession> session;
  if (gigent::testing::testing_postgres()) {
    session = std::make_unique<gigent::testing::PostgresSession>(m.server.db_path());
    session->exec("BEGIN; SELECT 1 FROM agents WHERE id = '" + m.seller.id + "' FOR UPDATE");
    release = [&] { session->exec("COMMIT"); };
  } else {
    ASSERT_EQ(sqlite3_open(m.server.db_path().c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    release = [&] {
      ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
      sqlite3_close(other);
    };
  }

  auto write = std::async(std::launch::async, [&] {
    Api api(m.server.url());
    return api.post("/api/agents/" + m.seller.id + "/heartbeat", json::object(), m.seller.key);
  });
  // Give the write time to reach the server and start waiting. If it has
  // not by then, health is merely answered first: the test cannot fail
  // wrongly, only pass without proving anything.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto health = m.api.get("/api/health");
  auto poll = m.api.get("/api/orders?agent_id=" + m.seller.id + "&status=pending&wait=1", m.seller.key);
  const bool write_still_waiting = write.wait_for(std::chrono::seconds(0)) == std::future_status::timeout;

  release();
  EXPECT_EQ(health.status, 200) << health.raw;
  EXPECT_EQ(poll.status, 200) << poll.raw;  // the long-poll's timer fired and was answered
  EXPECT_EQ(poll.body, (json{{"orders", json::array()}}));
  EXPECT_TRUE(write_still_waiting) << "health was answered only after the waiting write";
  auto written = write.get();
  EXPECT_EQ(written.status, 200) << written.raw;
}

}  // namespace
