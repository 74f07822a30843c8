// The fault-injection suite: the real daemon, a real gigent-server and the
// LLM emulator; each case breaks something on purpose and then checks that
// every order placed was delivered exactly once (the backend's row says
// delivered, the proxy counted one accepted delivery and, where no fault hit
// the delivery, one delivery POST at all) or is listed as
// failed with its reason, that the LLM was asked no more than needed, and that
// no secret reached any output.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fault_proxy.h"
#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/json_client.h"
#include "support/metrics_text.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

class FaultSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.max_concurrent_orders = 2;
    // Short long-polls so stopping never waits long; quick order-step timeouts.
    yaml.extra_runtime = "  long_poll_seconds: 2\n";
    write_config();
  }

  void TearDown() override {
    // No secret in any output: every daemon and CLI run, and the state file.
    std::string everything = collected_output;
    for (auto& r : runtimes) everything += r->output();
    if (std::filesystem::exists(dir.file(".gigent-state.json"))) everything += slurp(dir.file(".gigent-state.json"));
    EXPECT_EQ(everything.find(yaml.api_key), std::string::npos) << "the LLM key leaked";
    std::string gigent_key = gigent_api_key();
    if (!gigent_key.empty()) {
      EXPECT_EQ(everything.find(gigent_key), std::string::npos) << "the Gigent key leaked";
    }
  }

  std::string gigent_api_key() {
    auto text = slurp(config_dir() + "/.gigent-credentials");
    auto json = nlohmann::json::parse(text, nullptr, false);
    return json.is_object() ? json.value("api_key", "") : "";
  }

  virtual std::string config_dir() const { return dir.path(); }
  std::string config_path() const { return config_dir() + "/gigent-agent.yaml"; }

  void write_config(const std::string& execution_timeout = "20") {
    std::ofstream(config_path()) << replace_all(yaml.to_yaml(), "  timeout_seconds: 20\n",
                                                "  timeout_seconds: " + execution_timeout + "\n");
  }

  ChildProcess& start_runtime(const std::string& url, bool wait_ready = true) {
    runtimes.push_back(spawn_runtime(config_path(), url, dir.path(), wait_ready));
    return *runtimes.back();
  }

  int stop_runtime(ChildProcess& child) {
    child.signal(SIGTERM);
    return child.wait_exit(30s).value_or(-1);
  }

  std::string run_cli(const std::vector<std::string>& args, int* exit_code = nullptr) {
    auto run = run_runtime_cli(args, dir.path());
    if (exit_code) *exit_code = run.exit_code;
    collected_output += run.output();
    return run.stdout_text;
  }

  std::string gig_id(const std::string& backend) {
    return gig_id_of(backend, read_agent_id(config_dir() + "/.gigent-credentials"), "Blog post writer");
  }

  std::string order(const std::string& backend, const std::string& brief) {
    if (buyer.id.empty()) buyer = register_buyer(backend);
    return place_order(backend, buyer, gig_id(backend), brief)["id"];
  }

  // The backend's row says delivered; when the runtime went through `proxy`,
  // exactly one delivery was accepted by the backend and `posts` delivery
  // requests were sent in all (-1: a fault made the count vary). The backend
  // refuses a second delivery, so only the POST count can show a duplicate.
  void expect_delivered_once(const std::string& backend, const std::string& order_id, const ChildProcess& runtime,
                             FaultProxy* via = nullptr, int posts = 1, std::chrono::milliseconds timeout = 30s) {
    auto row = wait_for_order_status(backend, order_id, "delivered", timeout);
    EXPECT_EQ(row.value("status", ""), "delivered") << order_id << "\n" << runtime.output();
    if (via) {
      // The proxy counts once the backend's answer is back, a moment after the row changes.
      FaultProxy::wait_until([&] { return via->deliveries(order_id) >= 1; }, 5s);
      EXPECT_EQ(via->deliveries(order_id), 1) << order_id;
      if (posts >= 0) {
        EXPECT_EQ(via->deliver_posts(order_id), posts) << order_id << ": delivery POSTs";
      }
    }
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  Buyer buyer;
  std::vector<std::unique_ptr<ChildProcess>> runtimes;
  std::string collected_output;
};

// ---------------------------------------------------------------- backend

TEST_F(FaultSuite, BackendDownAtBootTheDaemonWaitsThenServesWhenItComesUp) {
  ServerProcess later(free_tcp_port(), /*start_now=*/false);
  auto& runtime = start_runtime(later.url(), /*wait_ready=*/false);
  // Two failed registration attempts: it waits and retries instead of exiting.
  ASSERT_TRUE(FaultProxy::wait_until(
      [&] {
        auto out = runtime.output();
        auto first = out.find("registration failed");
        return first != std::string::npos && out.find("registration failed", first + 1) != std::string::npos;
      },
      20s))
      << runtime.output();
  ASSERT_TRUE(runtime.running()) << runtime.output();
  later.start();
  ASSERT_TRUE(runtime.wait_for_output("Agent is online and ready", 40s)) << runtime.output();
  auto id = order(later.url(), "After the outage");
  expect_delivered_once(later.url(), id, runtime);
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(emulator.successes(), 1);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

TEST_F(FaultSuite, BackendRestartedMidOrderTheOrderIsDeliveredOnce) {
  FaultProxy proxy(server.url());
  llm_emulator::Action slow;
  slow.delay_ms = 1000;
  emulator.set_default(slow);
  auto& runtime = start_runtime(proxy.url());
  auto id = order(server.url(), "Across a backend restart");
  ASSERT_TRUE(runtime.wait_for_output("asking anthropic", 20s)) << runtime.output();
  server.stop();
  // Down until the runtime has tried to deliver into the outage at least once.
  ASSERT_TRUE(FaultProxy::wait_until([&] { return proxy.deliver_attempts() >= 1; }, 20s)) << runtime.output();
  server.start();
  expect_delivered_once(server.url(), id, runtime, &proxy, /*posts=*/-1);
  EXPECT_GE(proxy.upstream_failures(), 1);
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(emulator.successes(), 1);
  EXPECT_TRUE(runtime.running());
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

// Everything the backend could say that is not what the contract promises:
// errors, an HTML error page, truncated JSON, valid JSON of the wrong shape or
// types, bytes that are not UTF-8, a huge body.
std::vector<ProxyDecision> bad_backend_answers() {
  return {
      respond(500, R"({"error":"Internal server error"})"),
      respond(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
      respond(200, R"({"orders": [{"id": "x", "status": )"),
      respond(200, "[1, 2, 3]"),
      respond(200, R"("just a string")"),
      respond(200, R"({"orders": "not an array", "id": 7, "status": 12, "last_seen": false})"),
      respond(200, R"({"orders": [{"id": "00000000-0000-4000-8000-000000000001", "status": ["pending"]}]})"),
      respond(200, R"({"orders": [{"id": 5, "status": "pending"}], "gigs": 3})"),
      respond(200, std::string("{\"error\": \"\xff\xfe bad bytes \xc3\"}")),
      respond(200, "{\"orders\": [], \"pad\": \"" + std::string(3u << 20, 'x') + "\"}"),
      respond(404, "Not Found", "text/plain"),
      respond(200, "null"),
  };
}

TEST_F(FaultSuite, BackendAnswering500sAndGarbageForAWhileLosesAndRepeatsNothing) {
  FaultProxy proxy(server.url());
  llm_emulator::Action slow;
  slow.delay_ms = 500;
  emulator.set_default(slow);
  auto& runtime = start_runtime(proxy.url());
  auto first = order(server.url(), "Through the storm");
  ASSERT_TRUE(runtime.wait_for_output("asking anthropic", 20s)) << runtime.output();

  // The window: every non-delivery call gets the next bad answer in turn;
  // deliveries get a 500, then an HTML 503, then are forwarded with the
  // response lost (garbled), which the runtime must resolve by reading the
  // order back rather than delivering twice. The window closes after that.
  struct Window {
    std::vector<ProxyDecision> answers = bad_backend_answers();
    std::size_t next_answer = 0;
    int deliveries_faulted = 0;
    bool open = true;
  };
  auto window = std::make_shared<Window>();
  proxy.set_rule([window, first](const http::Request& r) -> ProxyDecision {
    if (!window->open) return forward();
    if (!delivered_order_id(r).empty()) {
      switch (window->deliveries_faulted++) {
        case 0:
          return respond(500, R"({"error":"Internal server error"})");
        case 1:
          return respond(503, "<html>Service Unavailable</html>", "text/html");
        default:
          window->open = false;
          return garble_after_forwarding(200, "<html>this is not JSON</html>");
      }
    }
    if (r.method == "GET" && r.path == "/api/orders/" + first) return forward();  // the read-back decides
    return window->answers[window->next_answer++ % window->answers.size()];
  });
  expect_delivered_once(server.url(), first, runtime, &proxy, /*posts=*/-1);
  EXPECT_GE(proxy.deliver_posts(first), 3);  // the 500, the 503 and the lost answer
  EXPECT_GE(proxy.faults_injected(), 3);
  ASSERT_TRUE(runtime.running()) << "the daemon died on a bad backend answer:\n" << runtime.output();

  // Still healthy: a second order goes through normally.
  auto second = order(server.url(), "After the storm");
  expect_delivered_once(server.url(), second, runtime, &proxy);
  EXPECT_EQ(emulator.requests(), 2);
  EXPECT_EQ(emulator.successes(), 2);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

TEST_F(FaultSuite, BadBackendAnswersDuringBootAndPollingNeverCrashTheDaemon) {
  FaultProxy proxy(server.url());
  // Boot once cleanly (registration, gigs), then restart with every answer bad for a while.
  auto& first_run = start_runtime(proxy.url());
  ASSERT_EQ(stop_runtime(first_run), 0) << first_run.output();
  auto answers = std::make_shared<std::vector<ProxyDecision>>(bad_backend_answers());
  auto served = std::make_shared<std::size_t>(0);
  proxy.set_rule([answers, served](const http::Request&) -> ProxyDecision {
    auto n = (*served)++;
    if (n >= answers->size()) return forward();
    return (*answers)[n % answers->size()];
  });
  auto& runtime = start_runtime(proxy.url(), /*wait_ready=*/false);
  ASSERT_TRUE(runtime.wait_for_output("Agent is online and ready", 60s)) << runtime.output();
  auto id = order(server.url(), "Once the answers make sense again");
  expect_delivered_once(server.url(), id, runtime, &proxy, /*posts=*/-1);  // a bad answer may hit the delivery
  EXPECT_TRUE(runtime.running()) << runtime.output();
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

// ---------------------------------------------------------------- LLM

TEST_F(FaultSuite, LlmRateLimitsServerErrorsOverloadTimeoutsAndDropsAreRetriedToOneDelivery) {
  FaultProxy proxy(server.url());
  yaml.max_concurrent_orders = 1;
  write_config(/*execution_timeout=*/"1");
  auto& runtime = start_runtime(proxy.url());

  llm_emulator::Action rate_limit;
  rate_limit.kind = "rate_limit";
  rate_limit.retry_after_ms = "50";
  llm_emulator::Action server_error;
  server_error.kind = "server_error";
  llm_emulator::Action overloaded;
  overloaded.kind = "overloaded";
  emulator.push({rate_limit, server_error, overloaded});
  auto first = order(server.url(), "Despite 429, 500 and 529");
  expect_delivered_once(server.url(), first, runtime, &proxy);
  EXPECT_EQ(emulator.requests(), 4);  // three faults, one success: nothing more

  llm_emulator::Action hang;
  hang.kind = "hang";  // answered by the 1 s timeout
  llm_emulator::Action drop;
  drop.kind = "drop";
  emulator.push({hang, drop});
  auto second = order(server.url(), "Despite a hang and a dropped connection");
  expect_delivered_once(server.url(), second, runtime, &proxy);
  EXPECT_EQ(emulator.requests(), 7);
  EXPECT_EQ(emulator.successes(), 2);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

TEST_F(FaultSuite, NonRetryableLlmErrorWithCancelCancelsTheOrderAndTellsTheBuyer) {
  FaultProxy proxy(server.url());
  yaml.extra_runtime += "  failed_order_action: cancel\n";
  write_config();
  llm_emulator::Action unauthorized;
  unauthorized.kind = "error";
  unauthorized.status = 401;
  emulator.set_default(unauthorized);
  auto& runtime = start_runtime(proxy.url());
  auto id = order(server.url(), "Doomed by a bad key");
  auto row = wait_for_order_status(server.url(), id, "cancelled", 30s);
  ASSERT_EQ(row.value("status", ""), "cancelled") << runtime.output();
  bool told = false;
  for (auto& m : row.value("messages", nlohmann::json::array()))
    if (m.value("content", "").find("could not be completed") != std::string::npos) told = true;
  EXPECT_TRUE(told) << row.dump(2);
  EXPECT_EQ(emulator.requests(), 1) << "a non-retryable error must not be retried";
  EXPECT_EQ(proxy.deliveries(id), 0);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

TEST_F(FaultSuite, NonRetryableLlmErrorWithLeaveIsListedAsFailedWithItsReason) {
  FaultProxy proxy(server.url());
  llm_emulator::Action bad_request;
  bad_request.kind = "error";
  bad_request.status = 400;
  bad_request.message = "prompt is too long for this model";
  emulator.set_default(bad_request);
  auto& runtime = start_runtime(proxy.url());
  auto id = order(server.url(), "Rejected by the provider");
  ASSERT_TRUE(runtime.wait_for_output("failed for good", 30s)) << runtime.output();
  int code = -1;
  nlohmann::json status;
  ASSERT_TRUE(FaultProxy::wait_until(
      [&] {
        status = nlohmann::json::parse(run_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, &code),
                                       nullptr, false);
        return status.is_object() && !status["daemon"].value("failed_orders", nlohmann::json::array()).empty();
      },
      10s))
      << status.dump(2);
  EXPECT_EQ(code, 0);
  auto failed = status["daemon"]["failed_orders"];
  ASSERT_EQ(failed.size(), 1u) << status.dump(2);
  EXPECT_EQ(failed[0].value("order_id", ""), id);
  EXPECT_NE(failed[0].value("last_error", "").find("prompt is too long"), std::string::npos) << failed.dump();
  auto row = wait_for_order_status(server.url(), id, "in_progress", 1s);
  EXPECT_EQ(row.value("status", ""), "in_progress") << "leave: the order is left as it is";
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(proxy.deliveries(id), 0);
  EXPECT_EQ(stop_runtime(runtime), 0) << runtime.output();
}

// ---------------------------------------------------------------- signals

TEST_F(FaultSuite, SigtermMidOrderFinishesItAndExitsZero) {
  FaultProxy proxy(server.url());
  llm_emulator::Action slow;
  slow.delay_ms = 1500;
  emulator.set_default(slow);
  auto& runtime = start_runtime(proxy.url());
  auto id = order(server.url(), "Finish me before you go");
  ASSERT_TRUE(runtime.wait_for_output("asking anthropic", 20s)) << runtime.output();
  runtime.signal(SIGTERM);
  auto code = runtime.wait_exit(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << runtime.output();
  expect_delivered_once(server.url(), id, runtime, &proxy, 1, 1s);
  EXPECT_EQ(emulator.requests(), 1);
}

TEST_F(FaultSuite, SigkillMidOrderThenRestartResumesAndDeliversOnce) {
  FaultProxy proxy(server.url());
  llm_emulator::Action slow;
  slow.delay_ms = 3000;
  emulator.set_default(slow);
  auto& runtime = start_runtime(proxy.url());
  auto id = order(server.url(), "Killed while thinking");
  ASSERT_TRUE(runtime.wait_for_output("asking anthropic", 20s)) << runtime.output();
  // The log line comes just before the request leaves: kill only once the
  // emulator holds the request, so the call really dies in flight.
  for (auto until = std::chrono::steady_clock::now() + 20s;
       emulator.requests() < 1 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(emulator.requests(), 1);
  runtime.signal(SIGKILL);
  ASSERT_TRUE(runtime.wait_exit(10s).has_value());
  EXPECT_EQ(wait_for_order_status(server.url(), id, "in_progress", 1s).value("status", ""), "in_progress");

  emulator.set_default({});  // answer at once now
  auto& again = start_runtime(proxy.url());
  expect_delivered_once(server.url(), id, again, &proxy);
  EXPECT_NE(again.output().find("resuming order " + id), std::string::npos) << again.output();
  // The killed call's answer died with the process: exactly one more call.
  EXPECT_EQ(emulator.requests(), 2);
  EXPECT_EQ(stop_runtime(again), 0) << again.output();
}

TEST_F(FaultSuite, SigkillBetweenLlmResultAndDeliveryDeliversTheSavedResultWithoutASecondCall) {
  FaultProxy proxy(server.url());
  proxy.set_rule([](const http::Request& r) { return delivered_order_id(r).empty() ? forward() : hold(); });
  auto& runtime = start_runtime(proxy.url());
  auto id = order(server.url(), "Saved before delivery");
  ASSERT_TRUE(FaultProxy::wait_until([&] { return proxy.held() >= 1; }, 20s)) << runtime.output();
  runtime.signal(SIGKILL);
  ASSERT_TRUE(runtime.wait_exit(10s).has_value());
  proxy.release_held();
  proxy.set_rule(nullptr);
  ASSERT_EQ(emulator.requests(), 1);

  auto& again = start_runtime(proxy.url());
  // Two POSTs: the held one, which never reached the backend, and the resumed one.
  expect_delivered_once(server.url(), id, again, &proxy, /*posts=*/2);
  EXPECT_NE(again.output().find("delivering the result saved before (no new LLM call)"), std::string::npos)
      << again.output();
  EXPECT_EQ(emulator.requests(), 1) << "the saved result must be delivered without asking the LLM again";
  auto data = nlohmann::json::parse(
      wait_for_order_status(server.url(), id, "delivered", 1s)["delivery_data"].get<std::string>());
  EXPECT_NE(data.value("content", "").find("Saved before delivery"), std::string::npos) << data.dump();
  EXPECT_EQ(stop_runtime(again), 0) << again.output();
}

TEST_F(FaultSuite, SigkillAfterTheBackendTookTheDeliveryButBeforeItsAnswerNeverDeliversTwice) {
  FaultProxy proxy(server.url());
  // The delivery reaches the backend; its answer never comes back.
  proxy.set_rule([](const http::Request& r) {
    if (delivered_order_id(r).empty()) return forward();
    ProxyDecision d;
    d.kind = ProxyDecision::ForwardThenHold;
    return d;
  });
  auto& runtime = start_runtime(proxy.url());
  auto id = order(server.url(), "Delivered, answer lost");
  ASSERT_TRUE(FaultProxy::wait_until([&] { return proxy.deliveries(id) >= 1 && proxy.held() >= 1; }, 20s))
      << runtime.output();
  runtime.signal(SIGKILL);
  ASSERT_TRUE(runtime.wait_exit(10s).has_value());
  proxy.release_held();
  proxy.set_rule(nullptr);

  auto& again = start_runtime(proxy.url());
  ASSERT_TRUE(FaultProxy::wait_until(
      [&] {
        return again.output().find("closed in the journal") != std::string::npos ||
               again.output().find(id + " delivered") != std::string::npos;
      },
      20s))
      << again.output();
  expect_delivered_once(server.url(), id, again, &proxy);
  EXPECT_EQ(emulator.requests(), 1);
  EXPECT_EQ(stop_runtime(again), 0) << again.output();
}

// ---------------------------------------------------------------- replicas

TEST_F(FaultSuite, TwoReplicasOnOneAgentProcessEveryOrderExactlyOnce) {
  FaultProxy proxy(server.url());
  yaml.extra_runtime += "  allow_replicas: true\n";
  write_config();
  llm_emulator::Action slow;
  slow.delay_ms = 200;
  emulator.set_default(slow);
  auto& a = start_runtime(proxy.url());
  auto& b = start_runtime(proxy.url());
  std::vector<std::string> ids;
  ids.reserve(8);
  for (int i = 0; i < 8; ++i) ids.push_back(order(server.url(), "Replica order " + std::to_string(i)));
  for (auto& id : ids) expect_delivered_once(server.url(), id, a, &proxy);
  EXPECT_EQ(emulator.requests(), 8);
  EXPECT_EQ(emulator.successes(), 8);
  EXPECT_EQ(stop_runtime(a), 0) << a.output();
  EXPECT_EQ(stop_runtime(b), 0) << b.output();
}

TEST_F(FaultSuite, AReplicaStartedWhileAnotherWorksNeverTakesOverItsOrder) {
  FaultProxy proxy(server.url());
  yaml.extra_runtime += "  allow_replicas: true\n";
  write_config();
  llm_emulator::Action slow;
  slow.delay_ms = 2500;
  emulator.set_default(slow);
  auto& a = start_runtime(proxy.url());
  auto id = order(server.url(), "Mine, not yours");
  ASSERT_TRUE(a.wait_for_output("asking anthropic", 20s)) << a.output();
  // The second replica boots (and reconciles) while the first is mid-order.
  auto& b = start_runtime(proxy.url());
  expect_delivered_once(server.url(), id, a, &proxy);
  EXPECT_EQ(emulator.requests(), 1) << "the second replica resumed an order the first was working on\n" << b.output();
  EXPECT_EQ(stop_runtime(a), 0) << a.output();
  EXPECT_EQ(stop_runtime(b), 0) << b.output();
}

// A replica dies working an order that a surviving replica's order list,
// read before the order was accepted, still shows pending. The survivor's
// accept is refused (the order is in progress): it reads the order back and
// continues it. Dropping the dead replica's record instead left the order in
// progress with no record, which every replica leaves to the one presumed to
// work on it: never delivered.
TEST_F(FaultSuite, AnOrderAStaleListShowsPendingIsContinuedWhenItsReplicaDied) {
  yaml.extra_runtime += "  allow_replicas: true\n";
  yaml.max_concurrent_orders = 1;
  write_config();
  EXPECT_EQ(stop_runtime(start_runtime(server.url())), 0);  // registered, gig published
  const std::string id = order(server.url(), "Pending in a stale list");
  json_http::Client seller(server.url());
  const std::string agent_id = read_agent_id(config_dir() + "/.gigent-credentials");
  const auto listed = seller.get("/api/orders?agent_id=" + agent_id + "&role=seller&status=pending", gigent_api_key());
  ASSERT_NE(listed.raw.find(id), std::string::npos) << listed.raw;

  llm_emulator::Action stuck;  // the victim's call: still running when it dies
  stuck.delay_ms = 30000;
  emulator.push(stuck);
  auto& victim = start_runtime(server.url());
  ASSERT_TRUE(victim.wait_for_output("asking anthropic", 20s)) << victim.output();
  victim.signal(SIGKILL);
  ASSERT_TRUE(victim.wait_exit(10s).has_value());

  // The survivor's first order list is the stale one; until it has been
  // read, no order shows accepted or in progress (so no reconcile resumes it).
  FaultProxy proxy(server.url());
  std::atomic<bool> stale_read{false};
  proxy.set_rule([&](const http::Request& r) {
    if (stale_read || r.method != "GET" || r.path != "/api/orders") return forward();
    if (r.query_param("status").value_or("").find("pending") == std::string::npos)
      return respond(200, R"({"orders":[]})");
    stale_read = true;
    return respond(200, listed.raw);
  });
  auto& survivor = start_runtime(proxy.url());
  ASSERT_TRUE(FaultProxy::wait_until([&] { return stale_read.load(); }, 20s)) << survivor.output();
  expect_delivered_once(server.url(), id, survivor, &proxy);
  EXPECT_EQ(emulator.requests(), 2);  // the victim's call died with it
  EXPECT_EQ(stop_runtime(survivor), 0) << survivor.output();
}

// A replica killed mid-order leaves the order in progress on the backend. A
// surviving replica busy with new orders takes it over at its next free
// worker, ahead of the new orders waiting: not at its next 15 s reconcile,
// and not once it has worked through them all.
TEST_F(FaultSuite, AKilledReplicasOrderIsTakenOverAheadOfTheNewOrdersWaiting) {
  yaml.extra_runtime += "  allow_replicas: true\n";
  yaml.max_concurrent_orders = 1;
  write_config();
  llm_emulator::Action stuck;  // the victim's call: still running when it dies
  stuck.delay_ms = 30000;
  emulator.push(stuck);
  llm_emulator::Action quick;
  quick.delay_ms = 300;
  emulator.set_default(quick);
  json_http::Client server_api(server.url());
  auto delivered = [&] {
    const std::string series =
        R"(gigent_server_http_requests_total{method="POST",route="/api/orders/:id/deliver",status="200"})";
    return std::max(0, static_cast<int>(metric_sample(server_api.get("/metrics").raw, series)));
  };

  auto& victim = start_runtime(server.url());
  const std::string orphan = order(server.url(), "Orphaned by the kill");
  ASSERT_TRUE(victim.wait_for_output("asking anthropic", 20s)) << victim.output();
  auto& survivor = start_runtime(server.url());
  const int waiting = 30;
  for (int i = 0; i < waiting; ++i) order(server.url(), "Waiting " + std::to_string(i));
  ASSERT_TRUE(FaultProxy::wait_until([&] { return delivered() >= 1; }, 30s)) << survivor.output();
  victim.signal(SIGKILL);
  ASSERT_TRUE(victim.wait_exit(10s).has_value());

  auto row = wait_for_order_status(server.url(), orphan, "delivered", 60s);
  const int delivered_with_it = delivered();
  ASSERT_EQ(row.value("status", ""), "delivered") << survivor.output();
  EXPECT_LE(delivered_with_it, waiting / 2) << "the orphan waited behind the new orders (" << delivered_with_it
                                            << " of " << waiting + 1 << " delivered with it)\n"
                                            << survivor.output();
  ASSERT_TRUE(FaultProxy::wait_until([&] { return delivered() >= waiting + 1; }, 60s)) << survivor.output();
  EXPECT_EQ(emulator.requests(), waiting + 2);  // the victim's call died with it
  EXPECT_EQ(stop_runtime(survivor), 0) << survivor.output();
}

}  // namespace
