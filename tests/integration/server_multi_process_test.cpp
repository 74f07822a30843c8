// Several gigent-server processes on one PostgreSQL database (the
// PostgreSQL run of the suite only; SQLite serves one process per file).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/server_client.h"
#include "support/process.h"
#include "support/test_database.h"

namespace {

using namespace gigent::testing::server_client;  // NOLINT(google-build-using-namespace)
using gigent::testing::ServerProcess;
using gigent::testing::TempDir;
using gigent::testing::TestDatabase;
using nlohmann::json;

struct TwoProcesses {
  TempDir dir;
  TestDatabase db{dir.path()};
  ServerProcess a{{"--log-level", "debug"}, db.db()};
  ServerProcess b{{}, db.db()};
  Api api_a{a.url()}, api_b{b.url()};
};

void skip_unless_postgres() {
  if (!gigent::testing::testing_postgres()) GTEST_SKIP() << "PostgreSQL only: SQLite serves one process per file";
}

// A long-poll parked on process A wakes when the order is placed through
// process B: B's NOTIFY reaches A's listener, which wakes the waiter.
TEST(ServerMultiProcess, ALongPollOnOneProcessWakesForAnOrderPlacedThroughAnother) {
  skip_unless_postgres();
  if (::testing::Test::IsSkipped()) return;
  TwoProcesses p;
  Agent seller = register_agent(p.api_a, "seller", 1);
  Agent buyer = register_agent(p.api_b, "buyer", 2);
  std::string gig = publish_gig(p.api_a, seller);
  auto waiting = std::async(std::launch::async, [&] {
    Api api(p.a.url());
    return api.get("/api/orders?agent_id=" + seller.id + "&role=seller&status=pending&wait=30", seller.key);
  });
  ASSERT_TRUE(p.a.process().wait_for_output("long-poll parked for agent " + seller.id, std::chrono::seconds(20)));
  ASSERT_EQ(waiting.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  const auto placed_at = std::chrono::steady_clock::now();
  std::string order = place_order(p.api_b, buyer, gig);
  auto r = waiting.get();
  const auto latency = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - placed_at);
  std::printf("cross-process wake: %.1f ms after the order request was sent to process B\n", latency.count());
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["orders"].size(), 1u);
  EXPECT_EQ(r.body["orders"][0]["id"], order);
  // Woken by the order, on process A (the deadline was 30 s away); the
  // latency is printed, not asserted.
  EXPECT_NE(p.a.process().stderr_text().find("long-poll for agent " + seller.id + " woken by an order"),
            std::string::npos);
}

// A multi-agent wait parked on process A wakes for an order placed through
// process B, naming that agent only; A's cursor means nothing to B.
TEST(ServerMultiProcess, AMultiAgentWaitOnOneProcessWakesForAnOrderPlacedThroughAnother) {
  skip_unless_postgres();
  if (::testing::Test::IsSkipped()) return;
  TwoProcesses p;
  Agent buyer = register_agent(p.api_b, "buyer", 100);
  std::vector<Agent> sellers;
  std::vector<std::string> gigs;
  json agents = json::array();
  for (int i = 0; i < 3; ++i) {
    sellers.push_back(register_agent(p.api_a, "seller", i + 1));
    gigs.push_back(publish_gig(p.api_a, sellers.back()));
    agents.push_back({{"agent_id", sellers.back().id}, {"api_key", sellers.back().key}});
  }
  auto waiting = std::async(std::launch::async, [&] {
    Api api(p.a.url());
    return api.post("/api/orders/wait", {{"agents", agents}, {"wait", 30}});
  });
  ASSERT_TRUE(p.a.process().wait_for_output("multi-agent wait parked for 3 agent(s)", std::chrono::seconds(20)));
  ASSERT_EQ(waiting.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  const auto placed_at = std::chrono::steady_clock::now();
  place_order(p.api_b, buyer, gigs[2]);
  auto r = waiting.get();
  const auto latency = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - placed_at);
  std::printf("cross-process multi-agent wake: %.1f ms after the order request was sent to process B\n",
              latency.count());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["ready"], (json{{{"agent_id", sellers[2].id}, {"orders", 1}}}));
  EXPECT_NE(p.a.process().stderr_text().find("multi-agent wait for 3 agent(s) woken by an order"), std::string::npos);
  // B did not hand out A's cursor: it answers everything at once.
  auto on_b = p.api_b.post("/api/orders/wait", {{"agents", agents}, {"wait", 30}, {"cursor", r.body["cursor"]}});
  EXPECT_EQ(on_b.body["ready"], r.body["ready"]);
}

// An order placed through B while A's listener is away (its connection
// killed; it reconnects after a second) is not announced to A: the
// reconnection makes A's parked multi-agent wait count afresh, so it still
// names the agent, not only its deadline 30 s later.
TEST(ServerMultiProcess, AMultiAgentWaitCountsAfreshWhenTheListenerReconnects) {
  skip_unless_postgres();
  if (::testing::Test::IsSkipped()) return;
  TwoProcesses p;
  Agent buyer = register_agent(p.api_b, "buyer", 100);
  Agent seller = register_agent(p.api_a, "seller", 1);
  std::string gig = publish_gig(p.api_a, seller);
  const json agents = json::array({{{"agent_id", seller.id}, {"api_key", seller.key}}});
  auto first = p.api_a.post("/api/orders/wait", {{"agents", agents}});
  ASSERT_EQ(first.body["ready"], json::array());
  auto waiting = std::async(std::launch::async, [&] {
    Api api(p.a.url());
    return api.post("/api/orders/wait", {{"agents", agents}, {"wait", 30}, {"cursor", first.body["cursor"]}});
  });
  ASSERT_TRUE(p.a.process().wait_for_output("multi-agent wait parked for 1 agent(s)", std::chrono::seconds(20)));
  const std::string url = p.db.db();
  const std::string name = url.substr(url.rfind('/') + 1, url.find('?', url.rfind('/')) - url.rfind('/') - 1);
  gigent::testing::postgres_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name +
                                  "' AND query = 'LISTEN gigent_changes'");
  place_order(p.api_b, buyer, gig);
  auto r = waiting.get();
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["ready"], (json{{{"agent_id", seller.id}, {"orders", 1}}}));
  EXPECT_NE(p.a.process().stderr_text().find("PostgreSQL listener reconnected"), std::string::npos);
  // A cursor from before the reconnection is unknown now: the full answer.
  auto old = p.api_a.post("/api/orders/wait", {{"agents", agents}, {"wait", 30}, {"cursor", first.body["cursor"]}});
  EXPECT_EQ(old.body["ready"], r.body["ready"]);
}

// A key rotated through B stops working on A too, though A had it cached:
// B announces the rotation.
TEST(ServerMultiProcess, AKeyRotatedThroughOneProcessIsRefusedByTheOther) {
  skip_unless_postgres();
  if (::testing::Test::IsSkipped()) return;
  TwoProcesses p;
  Agent seller = register_agent(p.api_a, "seller", 1);
  const json agents = json::array({{{"agent_id", seller.id}, {"api_key", seller.key}}});
  ASSERT_EQ(p.api_a.get("/api/agents/me", seller.key).status, 200);  // cached on A
  ASSERT_EQ(p.api_a.post("/api/orders/wait", {{"agents", agents}}).status, 200);
  auto rotated = p.api_b.post("/api/agents/rotate-key", json::object(), seller.key);
  ASSERT_EQ(rotated.status, 200);
  // The announcement takes the milliseconds of a NOTIFY.
  int status = 0;
  for (int i = 0; i < 100 && status != 401; ++i) {
    status = p.api_a.get("/api/agents/me", seller.key).status;
    if (status != 401) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 401);
  EXPECT_EQ(p.api_a.post("/api/orders/wait", {{"agents", agents}}).status, 401);
  EXPECT_EQ(p.api_a.get("/api/agents/me", rotated.body["api_key"].get<std::string>()).status, 200);
}

// Both processes see every write at once: no stale cached page on A after B
// changes an order, and a transition raced through both has one winner.
TEST(ServerMultiProcess, BothProcessesSeeEachOthersWritesAndRacesHaveOneWinner) {
  skip_unless_postgres();
  if (::testing::Test::IsSkipped()) return;
  TwoProcesses p;
  Agent seller = register_agent(p.api_a, "seller", 1);
  Agent buyer = register_agent(p.api_a, "buyer", 2);
  std::string gig = publish_gig(p.api_a, seller);
  std::string order = place_order(p.api_a, buyer, gig);
  const std::string pending = "/api/orders?agent_id=" + seller.id + "&role=seller&status=pending";
  ASSERT_EQ(p.api_a.get(pending, seller.key).body["orders"].size(), 1u);  // cached on A now
  // B accepts; A's cached page must not still list the order (B's write
  // reaches A's cache through NOTIFY: allow it the moment that takes).
  auto set_status = [&](Api& api, const std::string& id, const char* to) {
    return api.patch("/api/orders/" + id + "/status", {{"status", to}}, seller.key).status;
  };
  ASSERT_EQ(set_status(p.api_b, order, "accepted"), 200);
  bool fresh = false;
  for (int i = 0; i < 100 && !fresh; ++i) {
    fresh = p.api_a.get(pending, seller.key).body["orders"].empty();
    if (!fresh) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(fresh);
  // The same change raced through both processes: exactly one wins.
  for (int round = 0; round < 5; ++round) {
    std::string next = place_order(p.api_b, buyer, gig);
    auto on_a = std::async(std::launch::async, [&] {
      Api api(p.a.url());
      return set_status(api, next, "accepted");
    });
    auto on_b = std::async(std::launch::async, [&] {
      Api api(p.b.url());
      return set_status(api, next, "accepted");
    });
    const int a = on_a.get(), b = on_b.get();
    EXPECT_EQ((a == 200) + (b == 200), 1) << "A answered " << a << ", B answered " << b;
  }
}

// Two processes starting at once on an empty database: the schema is made
// once, under the advisory lock, and both serve it.
TEST(ServerMultiProcess, TwoProcessesStartingTogetherOnAnEmptyDatabaseBothServe) {
  skip_unless_postgres();
  if (::testing::Test::IsSkipped()) return;
  TempDir dir;
  TestDatabase db(dir.path());
  auto start = [&] { return std::make_unique<ServerProcess>(std::vector<std::string>{}, db.db()); };
  auto first = std::async(std::launch::async, start), second = std::async(std::launch::async, start);
  auto a = first.get(), b = second.get();
  Api api_a(a->url()), api_b(b->url());
  Agent seller = register_agent(api_a, "seller", 1);
  EXPECT_EQ(api_b.get("/api/agents/" + seller.id).status, 200);
  EXPECT_EQ(api_b.get("/api/categories").body["categories"].size(), 8u);
}

}  // namespace
