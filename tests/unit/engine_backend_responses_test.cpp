// Backend answers that break the contract (missing fields, wrong types, huge
// or non-UTF-8 bodies, unexpected statuses) through MarketplaceClient over a
// scripted transport, and through the code that reads them: the poller, the
// heartbeat, delivery's read-back and the agent check. Nothing may throw past
// its caller or mistake garbage for success.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <deque>

#include <spdlog/spdlog.h>

#include "boot/boot.h"
#include "common/status_registry.h"
#include "delivery/delivery.h"
#include "heartbeat/heartbeat.h"
#include "listener/poller.h"
#include "marketplace/client.h"
#include "marketplace/retry.h"

using namespace gigent;
using namespace gigent::marketplace;

namespace {

class ScriptedTransport final : public http::Transport {
 public:
  struct Answer {
    int status;  // 0: transport failure
    std::string body;
  };
  void push(int status, std::string body) { answers.push_back({status, std::move(body)}); }
  http::ClientResult perform(const http::ClientRequest& request) override {
    requests.push_back(request.method + " " + request.url);
    http::ClientResult result;
    if (answers.empty()) {
      result.error = "no scripted answer";
      return result;
    }
    auto a = answers.front();
    if (answers.size() > 1) answers.pop_front();  // the last answer repeats
    if (a.status == 0) {
      result.error = "connection refused";
      return result;
    }
    result.response.status = a.status;
    result.response.body = a.body;
    return result;
  }
  std::deque<Answer> answers;
  std::vector<std::string> requests;
};

struct Fixture {
  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  MarketplaceClient client{{"http://backend", "sk_test"}, transport};
};

TEST(BackendResponses, A2xxThatIsNotJsonIsAnErrorAndRetryable) {
  Fixture f;
  f.transport->push(200, "<html>hello</html>");
  auto r = f.client.get_order("o1");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.retryable());
  EXPECT_NE(r.error.find("not JSON"), std::string::npos) << r.error;
}

TEST(BackendResponses, A2xxWithAScalarJsonBodyIsAnError) {
  for (const char* body : {"\"a string\"", "42", "true", "null"}) {
    Fixture f;
    f.transport->push(200, body);
    auto r = f.client.get_agent("a");
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_TRUE(r.retryable()) << body;
  }
}

TEST(BackendResponses, ErrorBodiesThatAreHtmlOrNotUtf8GiveAPrintableMessage) {
  Fixture f;
  f.transport->push(503, std::string("<html>\xff\xfe down\x01</html>"));
  auto r = f.client.heartbeat("a");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.retryable());
  EXPECT_EQ(r.error.rfind("HTTP 503: ", 0), 0u) << r.error;
  for (char c : r.error) EXPECT_TRUE(std::isprint(static_cast<unsigned char>(c))) << r.error;
}

TEST(BackendResponses, UnexpectedStatusesAreNotSuccess) {
  for (int status : {204, 301, 302, 418}) {
    Fixture f;
    f.transport->push(status, "");
    auto r = f.client.get_order("o1");
    EXPECT_FALSE(r.ok()) << status;
  }
}

TEST(BackendResponses, StringFieldNeverThrows) {
  nlohmann::json row = {{"status", 12}, {"id", "o1"}, {"brief", nullptr}};
  EXPECT_EQ(string_field(row, "status"), "");
  EXPECT_EQ(string_field(row, "status", "x"), "x");
  EXPECT_EQ(string_field(row, "id"), "o1");
  EXPECT_EQ(string_field(row, "brief"), "");
  EXPECT_EQ(string_field(nlohmann::json::array({1}), "id", "d"), "d");
  EXPECT_EQ(string_field(nlohmann::json("text"), "id"), "");
}

TEST(BackendResponses, ThePollerSkipsRowsWithMissingOrMistypedFields) {
  Fixture f;
  f.transport->push(200, R"({"orders": [
      {"id": "good", "status": "pending"},
      {"id": 5, "status": "pending"},
      {"status": "pending"},
      {"id": "wrong-status-type", "status": 12},
      {"id": "status-list", "status": ["pending"]},
      {"id": "other-status", "status": "accepted"},
      "not an object", null, 7]})");
  listener::Poller poller(f.client, "agent");
  auto result = poller.fetch("pending", 0);
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.orders.size(), 1u);
  EXPECT_EQ(result.orders[0]["id"], "good");
}

TEST(BackendResponses, ThePollerReportsAnOrdersFieldThatIsNotAList) {
  for (const char* body : {R"({"orders": "nope"})", R"({"orders": {"id": "x"}})", R"({})"}) {
    Fixture f;
    f.transport->push(200, body);
    listener::Poller poller(f.client, "agent");
    auto result = poller.fetch("pending", 0);
    EXPECT_FALSE(result.ok) << body;
    EXPECT_TRUE(result.orders.empty());
  }
}

TEST(BackendResponses, AHugeOrderPageIsReadWhole) {
  Fixture f;
  nlohmann::json orders = nlohmann::json::array();
  for (int i = 0; i < 50; ++i)
    orders.push_back({{"id", fmt::format("o{}", i)}, {"status", "pending"}, {"brief", std::string(100000, 'b')}});
  f.transport->push(200, nlohmann::json{{"orders", orders}}.dump());
  listener::Poller poller(f.client, "agent");
  auto result = poller.fetch("pending", 0);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.orders.size(), 50u);
}

TEST(BackendResponses, AHeartbeatAnsweredWithTheWrongShapeIsNotFatal) {
  for (const char* body : {R"({"last_seen": 5})", "[1]", "{}", "garbage"}) {
    Fixture f;
    f.transport->push(200, body);
    StatusRegistry registry;
    heartbeat::HeartbeatLoop loop(f.client, "agent", std::chrono::milliseconds(1), registry);
    EXPECT_NO_THROW(loop.beat_once()) << body;
  }
}

TEST(BackendResponses, ARejectedDeliveryIsResolvedByReadingTheOrderBack) {
  Cancellation cancel;
  {
    Fixture f;
    f.transport->push(400, R"({"error":"Cannot deliver from delivered"})");
    f.transport->push(200, R"({"id":"o1","status":"delivered"})");
    auto r = delivery::deliver_once(f.client, "o1", "agent", {{"content", "x"}}, cancel);
    EXPECT_EQ(r.outcome, delivery::DeliveryOutcome::AlreadyDelivered);
  }
  {
    Fixture f;
    f.transport->push(400, R"({"error":"Cannot deliver from cancelled"})");
    f.transport->push(200, R"({"id":"o1","status":"cancelled"})");
    auto r = delivery::deliver_once(f.client, "o1", "agent", {{"content", "x"}}, cancel);
    EXPECT_EQ(r.outcome, delivery::DeliveryOutcome::OrderClosed);
  }
  {
    // The read-back itself is garbage: keep the result, try later; never throw.
    Fixture f;
    f.transport->push(400, R"({"error":"bad"})");
    f.transport->push(200, R"({"id":"o1","status":{"nested":true}})");
    auto r = delivery::deliver_once(f.client, "o1", "agent", {{"content", "x"}}, cancel);
    EXPECT_EQ(r.outcome, delivery::DeliveryOutcome::Failed);
  }
}

TEST(BackendResponses, ADeliveryTheBackendWillNeverTakeIsRefusedNotRetriedForever) {
  Cancellation cancel;
  for (int status : {413, 400, 403}) {
    Fixture f;
    f.transport->push(status, R"({"error":"no"})");
    f.transport->push(200, R"({"id":"o1","status":"in_progress"})");
    auto r = delivery::deliver_once(f.client, "o1", "agent", {{"content", "x"}}, cancel);
    EXPECT_EQ(r.outcome, delivery::DeliveryOutcome::Refused) << status;
    EXPECT_NE(r.error.find("HTTP " + std::to_string(status)), std::string::npos) << r.error;
  }
  {
    Fixture f;
    f.transport->push(404, R"({"error":"Order not found"})");
    auto r = delivery::deliver_once(f.client, "o1", "agent", {{"content", "x"}}, cancel);
    EXPECT_EQ(r.outcome, delivery::DeliveryOutcome::Refused);
  }
  {
    // A transient failure stays transient.
    Fixture f;
    f.transport->push(503, R"({"error":"busy"})");
    Cancellation stopped;
    stopped.cancel();  // no waiting between the retries
    auto r = delivery::deliver_once(f.client, "o1", "agent", {{"content", "x"}}, stopped);
    EXPECT_EQ(r.outcome, delivery::DeliveryOutcome::Failed);
  }
}

// A transfer the shutdown cancelled is not an error to retry, even when the
// retry loop was handed a different (not yet fired) cancellation.
TEST(BackendResponses, ACancelledTransferIsNeverRetried) {
  class CancelledTransport final : public http::Transport {
   public:
    int calls = 0;
    http::ClientResult perform(const http::ClientRequest&) override {
      ++calls;
      http::ClientResult result;
      result.cancelled = true;
      result.error = "cancelled by shutdown";
      return result;
    }
  };
  class CountingSleeper final : public Sleeper {
   public:
    int sleeps = 0;
    bool sleep_for(std::chrono::milliseconds, const Cancellation&) override {
      ++sleeps;
      return true;
    }
  };
  auto transport = std::make_shared<CancelledTransport>();
  MarketplaceClient client({"http://backend", "sk_test"}, transport);
  Cancellation not_fired;
  CountingSleeper sleeper;
  auto log = spdlog::default_logger();
  auto r = call_with_retry(
      "accepting order o1", [&] { return client.set_order_status("o1", "accepted", "agent"); }, {3, {}, {}}, not_fired,
      *log, sleeper);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(transport->calls, 1) << "a cancelled transfer was retried";
  EXPECT_EQ(sleeper.sleeps, 0);
}

TEST(BackendResponses, TheAgentCheckTurnsA404IntoAdviceAndExit3) {
  Fixture f;
  f.transport->push(404, R"({"error":"Agent not found"})");
  Cancellation cancel;
  try {
    boot::verify_agent(f.client, {"a1", "sk_secret_value_123", ""}, cancel);
    FAIL();
  } catch (const boot::BootError& e) {
    EXPECT_EQ(e.exit_code(), 3);
    EXPECT_NE(std::string(e.what()).find("does not know agent a1"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("sk_secret_value_123"), std::string::npos);
  }
}

TEST(BackendResponses, EmbeddedJsonAndFormattingAcceptAnything) {
  EXPECT_EQ(decode_embedded_json(nlohmann::json("{\"a\":1}"))["a"], 1);
  EXPECT_EQ(decode_embedded_json(nlohmann::json("not json")), "not json");
  EXPECT_TRUE(decode_embedded_json(nlohmann::json("")).is_null());
  EXPECT_EQ(decode_embedded_json(nlohmann::json(5)), 5);
  std::string bad_utf8 = "caf\xc3 \xff";
  auto formatted = delivery::format_result(bad_utf8, config::DeliveryFormat::Json);
  EXPECT_EQ(formatted["format"], "text");
  EXPECT_NO_THROW((void)formatted.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace
