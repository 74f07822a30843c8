// POST /api/orders/wait (the multi_agent_wait extension): one request waiting
// for the orders of many agents. The real gigent-server, real sockets, a real
// database (SQLite, or PostgreSQL in the suite's PostgreSQL run).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/server_client.h"
#include "support/metrics_text.h"
#include "support/process.h"

namespace {

using namespace gigent::testing::server_client;  // NOLINT(google-build-using-namespace)
using gigent::testing::ServerProcess;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kWait = "/api/orders/wait";

// A server with `sellers` agents that each publish a gig, and a buyer.
struct Fleet {
  ServerProcess server;
  Api api{server.url()};
  Agent buyer;
  std::vector<Agent> sellers;
  std::vector<std::string> gigs;

  explicit Fleet(int count, std::vector<std::string> args = {"--log-level", "debug"}) : server(std::move(args)) {
    buyer = register_agent(api, "buyer", 1000);
    for (int i = 0; i < count; ++i) {
      sellers.push_back(register_agent(api, "seller " + std::to_string(i), i + 1));
      gigs.push_back(publish_gig(api, sellers.back()));
    }
  }
  std::string order_for(std::size_t seller) { return place_order(api, buyer, gigs[seller]); }
  int times_logged(const std::string& needle) {
    const std::string text = server.process().output();
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
  // Waits until the server has logged `needle` `times` times in all.
  bool logged(const std::string& needle, int times) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (times_logged(needle) >= times) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

json entries(const std::vector<Agent>& agents) {
  json out = json::array();
  for (const auto& a : agents) out.push_back({{"agent_id", a.id}, {"api_key", a.key}});
  return out;
}

json ready(std::initializer_list<std::pair<const Agent*, int>> agents) {
  json out = json::array();
  for (const auto& [agent, count] : agents) out.push_back({{"agent_id", agent->id}, {"orders", count}});
  return out;
}

// A wait answered on another thread (its own connection).
std::future<Result> wait_async(const std::string& url, json body) {
  return std::async(std::launch::async, [url, body = std::move(body)] {
    Api api(url);
    return api.post(kWait, body);
  });
}

bool unanswered(std::future<Result>& f) {
  return f.wait_for(0ms) == std::future_status::timeout;
}

TEST(ServerMultiWait, WithoutACursorListsAtOnceTheAgentsThatHaveOrders) {
  Fleet f(3);
  f.order_for(0);
  f.order_for(0);
  f.order_for(2);
  auto r = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 0}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["ready"], ready({{&f.sellers[0], 2}, {&f.sellers[2], 1}}));
  EXPECT_EQ(r.body["refused"], json::array());
  ASSERT_TRUE(r.body["cursor"].is_string());
  EXPECT_FALSE(r.body["cursor"].get<std::string>().empty());
  // With orders there, a wait is not held either.
  auto held = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 30}});
  EXPECT_EQ(held.body["ready"], r.body["ready"]);
  EXPECT_EQ(f.times_logged("multi-agent wait parked"), 0);
}

TEST(ServerMultiWait, StatusListAndRoleChooseWhatCounts) {
  Fleet f(2);
  std::string accepted = f.order_for(0);
  f.order_for(1);
  ASSERT_EQ(f.api.patch("/api/orders/" + accepted + "/status", {{"status", "accepted"}}, f.sellers[0].key).status, 200);
  const json sellers = entries(f.sellers);
  EXPECT_EQ(f.api.post(kWait, {{"agents", sellers}}).body["ready"], ready({{&f.sellers[1], 1}}));  // pending
  EXPECT_EQ(f.api.post(kWait, {{"agents", sellers}, {"status", "accepted"}}).body["ready"],
            ready({{&f.sellers[0], 1}}));
  EXPECT_EQ(f.api.post(kWait, {{"agents", sellers}, {"status", "pending,accepted,"}}).body["ready"],
            ready({{&f.sellers[0], 1}, {&f.sellers[1], 1}}));
  EXPECT_EQ(f.api.post(kWait, {{"agents", sellers}, {"role", "buyer"}}).body["ready"], json::array());
  const json buyer = entries({f.buyer});
  EXPECT_EQ(f.api.post(kWait, {{"agents", buyer}, {"role", "buyer"}, {"status", "pending,accepted"}}).body["ready"],
            ready({{&f.buyer, 2}}));
  EXPECT_EQ(f.api.post(kWait, {{"agents", buyer}, {"role", "seller"}}).body["ready"], json::array());
}

// The wait holds no thread and answers with the one agent that got an order,
// long before its 30 s are up.
TEST(ServerMultiWait, AParkedWaitWakesForAnOrderOfOneOfItsAgents) {
  Fleet f(3, {"--threads", "1", "--log-level", "debug"});
  auto waiting = wait_async(f.server.url(), {{"agents", entries(f.sellers)}, {"wait", 30}});
  ASSERT_TRUE(f.logged("multi-agent wait parked for 3 agent(s) (up to 30 s)", 1));
  EXPECT_EQ(f.api.get("/api/health").status, 200);
  ASSERT_TRUE(unanswered(waiting));
  const auto placed_at = std::chrono::steady_clock::now();
  f.order_for(1);
  auto r = waiting.get();
  std::printf("multi-agent wait woken %.1f ms after the order request was sent\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - placed_at).count());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["ready"], ready({{&f.sellers[1], 1}}));
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  EXPECT_EQ(f.times_logged("multi-agent wait for 3 agent(s) woken by an order"), 1);
}

// An order left pending is reported once: the next wait, with the cursor of
// that answer, holds, and then names only the agent with a new order.
TEST(ServerMultiWait, AnOrderLeftPendingDoesNotSpin) {
  Fleet f(2);
  f.order_for(0);
  auto first = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 30}});
  ASSERT_EQ(first.body["ready"], ready({{&f.sellers[0], 1}}));
  const json next = {{"agents", entries(f.sellers)}, {"wait", 30}, {"cursor", first.body["cursor"]}};
  auto waiting = wait_async(f.server.url(), next);
  ASSERT_TRUE(f.logged("multi-agent wait parked for 2 agent(s)", 1));
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(unanswered(waiting));
  f.order_for(1);
  auto r = waiting.get();
  EXPECT_EQ(r.body["ready"], ready({{&f.sellers[1], 1}}));
  EXPECT_NE(r.body["cursor"], first.body["cursor"]);
  // Nothing since: the wait ends empty, with a cursor that still holds.
  auto idle = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 1}, {"cursor", r.body["cursor"]}});
  ASSERT_EQ(idle.status, 200);
  EXPECT_EQ(idle.body["ready"], json::array());
  EXPECT_EQ(idle.body["refused"], json::array());
  EXPECT_EQ(f.times_logged("multi-agent wait parked for 2 agent(s)"), 2);
}

// A seller wait wakes for its agents' sales only: an agent's purchase is on
// the buyer side, though its seller side may still hold a pending order.
TEST(ServerMultiWait, AWaitWakesForOrdersOnItsSideOnly) {
  Fleet f(2);
  f.order_for(0);
  auto first = f.api.post(kWait, {{"agents", entries(f.sellers)}});
  auto waiting =
      wait_async(f.server.url(), {{"agents", entries(f.sellers)}, {"wait", 30}, {"cursor", first.body["cursor"]}});
  ASSERT_TRUE(f.logged("multi-agent wait parked", 1));
  place_order(f.api, f.sellers[0], f.gigs[1]);  // seller 0 buys from seller 1
  auto r = waiting.get();
  EXPECT_EQ(r.body["ready"], ready({{&f.sellers[1], 1}}));
}

TEST(ServerMultiWait, AStatusChangeAfterTheCursorWakesTheWait) {
  Fleet f(1);
  std::string order = f.order_for(0);
  auto first = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"status", "accepted"}});
  EXPECT_EQ(first.body["ready"], json::array());
  auto waiting = wait_async(
      f.server.url(),
      {{"agents", entries(f.sellers)}, {"status", "accepted"}, {"wait", 30}, {"cursor", first.body["cursor"]}});
  ASSERT_TRUE(f.logged("multi-agent wait parked", 1));
  ASSERT_EQ(f.api.patch("/api/orders/" + order + "/status", {{"status", "accepted"}}, f.sellers[0].key).status, 200);
  EXPECT_EQ(waiting.get().body["ready"], ready({{&f.sellers[0], 1}}));
}

TEST(ServerMultiWait, BadKeysAreRefusedAndTheOthersServed) {
  Fleet f(3);
  f.order_for(0);
  f.order_for(1);
  json agents = entries(f.sellers);
  agents[1]["api_key"] = f.buyer.key;  // a real key, of another agent
  agents[2]["api_key"] = "sk_not_a_key_0000";
  agents.push_back({{"agent_id", f.sellers[0].id}, {"api_key", f.sellers[0].key}});  // listed twice
  auto r = f.api.call("POST", kWait, json{{"agents", agents}}.dump(), "sk_header_is_ignored");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["ready"], ready({{&f.sellers[0], 1}}));
  EXPECT_EQ(r.body["refused"], (json{{{"agent_id", f.sellers[1].id}, {"error", "Invalid API key"}},
                                     {{"agent_id", f.sellers[2].id}, {"error", "Invalid API key"}}}));
  EXPECT_EQ(r.raw.find(f.buyer.key), std::string::npos);
  EXPECT_EQ(r.raw.find("sk_not_a_key"), std::string::npos);
  // A duplicate with the right key serves an agent another entry got wrong.
  agents.push_back({{"agent_id", f.sellers[1].id}, {"api_key", f.sellers[1].key}});
  auto again = f.api.post(kWait, {{"agents", agents}});
  EXPECT_EQ(again.body["ready"], ready({{&f.sellers[0], 1}, {&f.sellers[1], 1}}));
  EXPECT_EQ(again.body["refused"].size(), 1u);
}

TEST(ServerMultiWait, EveryKeyRefusedIsA401) {
  Fleet f(2);
  json agents = entries(f.sellers);
  agents[0]["api_key"] = f.sellers[1].key;
  agents[1]["api_key"] = "sk_wrong";
  auto r = f.api.post(kWait, {{"agents", agents}, {"wait", 5}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, (json{{"error", "Invalid API key"}}));
}

TEST(ServerMultiWait, ARotatedKeyIsRefusedAfterwards) {
  Fleet f(2);
  f.order_for(0);
  f.order_for(1);
  const json before = entries(f.sellers);
  ASSERT_EQ(f.api.post(kWait, {{"agents", before}}).body["ready"].size(), 2u);  // both keys checked (and cached)
  auto rotated = f.api.post("/api/agents/rotate-key", json::object(), f.sellers[0].key);
  ASSERT_EQ(rotated.status, 200);
  auto r = f.api.post(kWait, {{"agents", before}});
  EXPECT_EQ(r.body["ready"], ready({{&f.sellers[1], 1}}));
  EXPECT_EQ(r.body["refused"], (json{{{"agent_id", f.sellers[0].id}, {"error", "Invalid API key"}}}));
  json fresh = before;
  fresh[0]["api_key"] = rotated.body["api_key"];
  EXPECT_EQ(f.api.post(kWait, {{"agents", fresh}}).body["ready"].size(), 2u);
  EXPECT_EQ(f.api.post(kWait, {{"agents", json::array({before[0]})}}).status, 401);
}

TEST(ServerMultiWait, EachBadFieldIsA400NamingIt) {
  Fleet f(1);
  const json good = entries(f.sellers);
  auto with = [&](const char* key, json value) {
    json body = {{"agents", good}};
    body[key] = std::move(value);
    return body;
  };
  auto entry = [&](const json& value) { return json{{"agents", json::array({value})}}; };
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back(good[0]);
  const std::string id = f.sellers[0].id, key = f.sellers[0].key;
  const std::vector<std::pair<json, std::string>> cases{
      {json::object(), "agents"},
      {with("agents", "x"), "agents"},
      {with("agents", json::array()), "agents"},
      {with("agents", too_many), "at most 1000"},
      {entry("x"), "agents[0]"},
      {entry({{"api_key", key}}), "agents[0].agent_id"},
      {entry({{"agent_id", 7}, {"api_key", key}}), "agents[0].agent_id"},
      {entry({{"agent_id", ""}, {"api_key", key}}), "agents[0].agent_id"},
      {entry({{"agent_id", std::string(101, 'a')}, {"api_key", key}}), "agents[0].agent_id"},
      {entry({{"agent_id", id}}), "agents[0].api_key"},
      {entry({{"agent_id", id}, {"api_key", json::array()}}), "agents[0].api_key"},
      {entry({{"agent_id", id}, {"api_key", "sk_" + std::string(98, '0')}}), "agents[0].api_key"},
      {with("status", "pending,shipped"), "status"},
      {with("status", ","), "status"},
      {with("status", 3), "status"},
      {with("status",
            "pending,accepted,rejected,cancelled,in_progress,delivered,completed,disputed,resolved,"
            "revision_requested,pending"),
       "status"},
      {with("role", "both"), "role"},
      {with("wait", 31), "wait"},
      {with("wait", -1), "wait"},
      {with("wait", 2.5), "wait"},
      {with("wait", "soon"), "wait"},
      {with("cursor", 12), "cursor"},
      {with("cursor", std::string(101, 'c')), "cursor"},
  };
  for (const auto& [body, field] : cases) {
    auto r = f.api.post(kWait, body);
    EXPECT_EQ(r.status, 400) << body.dump().substr(0, 200) << " -> " << r.raw;
    EXPECT_NE(r.body.value("error", "").find(field), std::string::npos)
        << "the error does not name " << field << ": " << r.raw;
    EXPECT_EQ(r.raw.find(key), std::string::npos) << "the key is echoed: " << r.raw;
  }
  EXPECT_EQ(f.api.call("POST", kWait, "[1]").status, 400);
  EXPECT_EQ(f.api.call("POST", kWait, "{").status, 400);
  // 1,000 entries, all of one agent, are fine: it is counted once.
  too_many.erase(too_many.begin());
  f.order_for(0);
  auto r = f.api.post(kWait, {{"agents", too_many}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["ready"], ready({{&f.sellers[0], 1}}));
}

TEST(ServerMultiWait, WaitZeroAnswersAtOnceWithACursor) {
  Fleet f(1);
  auto first = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 0}});
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body["ready"], json::array());
  f.order_for(0);
  auto second = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 0}, {"cursor", first.body["cursor"]}});
  EXPECT_EQ(second.body["ready"], ready({{&f.sellers[0], 1}}));
  auto third = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 0}, {"cursor", second.body["cursor"]}});
  EXPECT_EQ(third.body["ready"], json::array());
  EXPECT_EQ(f.times_logged("multi-agent wait parked"), 0);
}

// A cursor this process did not hand out (a restarted server's, made up)
// gets the full answer at once, as without a cursor.
TEST(ServerMultiWait, AnUnknownCursorGetsTheFullAnswerAtOnce) {
  Fleet f(2);
  f.order_for(1);
  auto first = f.api.post(kWait, {{"agents", entries(f.sellers)}});
  ASSERT_EQ(first.body["ready"], ready({{&f.sellers[1], 1}}));
  // Known, with nothing since: held for its second.
  auto held = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 1}, {"cursor", first.body["cursor"]}});
  EXPECT_EQ(held.body["ready"], json::array());
  for (const json& cursor : {json("0123456789abcdef-1"), json("not a cursor"), json("")}) {
    auto r = f.api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 30}, {"cursor", cursor}});
    EXPECT_EQ(r.body["ready"], ready({{&f.sellers[1], 1}})) << cursor;
  }
  f.server.restart();
  Api api(f.server.url());
  auto after = api.post(kWait, {{"agents", entries(f.sellers)}, {"wait", 30}, {"cursor", held.body["cursor"]}});
  EXPECT_EQ(after.body["ready"], ready({{&f.sellers[1], 1}}));
  EXPECT_NE(after.body["cursor"], held.body["cursor"]);
}

TEST(ServerMultiWait, HealthListsTheFeatureAndGetStaysTheOrderRoute) {
  Fleet f(1);
  auto health = f.api.get("/api/health");
  EXPECT_EQ(health.body["features"],
            (json{"long_poll", "heartbeat", "gig_patch", "order_status_list", "multi_agent_wait"}));
  auto get = f.api.get(kWait, f.sellers[0].key);
  EXPECT_EQ(get.status, 404);
  EXPECT_EQ(get.body, (json{{"error", "Order not found"}}));
  EXPECT_EQ(f.api.get(kWait).status, 401);
  auto put = f.api.call("PUT", kWait, "{}", f.sellers[0].key);
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.body["allowed"], "GET, POST");
  EXPECT_EQ(f.api.post("/api/orders/wait/", {{"agents", entries(f.sellers)}}).status, 200);
}

TEST(ServerMultiWait, ShutdownAnswersAParkedWait) {
  Fleet f(2);
  auto waiting = wait_async(f.server.url(), {{"agents", entries(f.sellers)}, {"wait", 30}});
  ASSERT_TRUE(f.logged("multi-agent wait parked", 1));
  ASSERT_TRUE(unanswered(waiting));
  f.server.process().signal(SIGTERM);
  auto r = waiting.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["ready"], json::array());
  EXPECT_EQ(f.server.process().wait_exit(10s), 0);
  EXPECT_EQ(f.times_logged("answering 1 parked multi-agent wait(s) before stopping"), 1);
}

// Sends a wait on a socket of its own and closes it unanswered.
void post_and_hang_up(std::uint16_t port, const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request =
      "POST /api/orders/wait HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  ::close(fd);
}

// A parked wait counts in the parked gauge until it is answered; one whose
// client hung up is dropped at its deadline.
TEST(ServerMultiWait, ParkedWaitsAreCountedAndAHungUpOneIsDropped) {
  Fleet f(2);
  auto parked = [&] {
    return gigent::testing::metric_sample(f.api.get("/metrics").raw, "gigent_server_long_polls_parked");
  };
  auto waiting = wait_async(f.server.url(), {{"agents", entries(f.sellers)}, {"wait", 30}});
  ASSERT_TRUE(f.logged("multi-agent wait parked", 1));
  EXPECT_EQ(parked(), 1);
  f.order_for(0);
  EXPECT_EQ(waiting.get().status, 200);
  EXPECT_EQ(parked(), 0);
  // Seller 1 has no order: the wait is held.
  post_and_hang_up(f.server.port(), json{{"agents", entries({f.sellers[1]})}, {"wait", 1}}.dump());
  ASSERT_TRUE(f.logged("multi-agent wait parked", 2)) << f.server.process().output();
  double shown = 1;
  for (int i = 0; i < 100 && shown != 0; ++i) {
    std::this_thread::sleep_for(100ms);
    shown = parked();
  }
  EXPECT_EQ(shown, 0);
  EXPECT_EQ(f.api.get("/api/health").status, 200);
}

}  // namespace
