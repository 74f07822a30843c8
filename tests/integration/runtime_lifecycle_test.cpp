// An order's life cycle as a buyer lives it, through the real daemon, a real
// gigent-server and the LLM emulator: a revision round trip (the previous
// delivery sent back as the model's own turn), a revision past max_revisions,
// a premium order with its tier's instructions, a gig's own model and prompt,
// input refused by the gig's input_schema, a JSON reply corrected in one
// turn, and the earliest deadline first when workers are short.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kGigs = R"YAML(gigs:
  - title: "Blog post writer"
    description: "Posts on any topic"
    category: writing
    pricing:
      basic: { price: 5, description: "500-word post" }
      premium: { price: 30, description: "3000-word long-form post", instructions: "PREMIUM-RULES: 3,000 words, with an outline and sources" }
    delivery_time_hours: 24
    max_revisions: 1
    example_input: "EXAMPLE-IN: a post about tea"
    example_output: "EXAMPLE-OUT: Tea is a drink"
  - title: "Code review"
    description: "Reviews one file"
    category: code
    pricing:
      basic: { price: 10, description: "One file" }
    delivery_time_hours: 1
    execution:
      model: "claude-review-model"
      system_prompt: "REVIEWER-PROMPT: you review code."
      max_tokens: 321
    input_schema:
      type: object
      required: [language, code]
      properties:
        language: { type: string }
        code: { type: string, minLength: 1 }
  - title: "Data extraction"
    description: "Extracts fields as JSON"
    category: data
    pricing:
      basic: { price: 8, description: "One document" }
    delivery_time_hours: 48
    output_schema:
      type: object
      required: [title, words]
      properties:
        title: { type: string }
        words: { type: integer }
)YAML";

class RuntimeLifecycle : public ::testing::Test {
 protected:
  void SetUp() override { emulator.start(); }

  std::string config_path() const { return dir.path() + "/gigent-agent.yaml"; }

  void write_config(int workers, const std::string& format = "markdown") {
    std::ofstream(config_path())
        << "agent:\n  name: \"Lifecycle Agent\"\n  description: \"Does work\"\n"
        << "  category: writing\nowner:\n  wallet: \"0x00000000000000000000000000000000000000c3\"\n"
        << kGigs << "runtime:\n  poll_interval_seconds: 1\n  long_poll_seconds: 2\n"
        << "  max_concurrent_orders: " << workers << "\n  failed_order_action: reject\n"
        << "execution:\n  provider: anthropic\n  model: \"claude-test\"\n  base_url: \"" << emulator.url()
        << "\"\n  api_key: \"sk-ant-test-0123456789abcdef\"\n"
        << "  system_prompt: \"TOP-PROMPT: you write well.\"\n  max_tokens: 500\n"
        << "  timeout_seconds: 20\ndelivery:\n  format: " << format
        << "\nheartbeat:\n  interval_seconds: 5\nlogging:\n  level: debug\n";
  }

  ChildProcess& start_runtime() {
    runtimes.push_back(spawn_runtime(config_path(), server.url(), dir.path(), /*wait_ready=*/true));
    return *runtimes.back();
  }

  void stop_runtime(ChildProcess& child) {
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait_exit(30s).value_or(-1), 0) << child.output();
  }

  marketplace::MarketplaceClient buyer_client() {
    if (buyer.id.empty()) buyer = register_buyer(server.url(), 7);
    return marketplace::MarketplaceClient({server.url(), buyer.api_key});
  }

  std::string order(const std::string& gig_title, const std::string& brief, const std::string& tier = "basic",
                    const json& input = nullptr) {
    auto client = buyer_client();
    const std::string gig = gig_id_of(server.url(), read_agent_id(dir.path() + "/.gigent-credentials"), gig_title);
    json body = {{"gig_id", gig}, {"buyer_id", buyer.id}, {"brief", brief}, {"tier", tier}, {"pay_now", false}};
    if (!input.is_null()) body["input_data"] = input;
    auto placed = client.place_order(body);
    EXPECT_TRUE(placed.ok()) << placed.error;
    return placed.body.value("id", "");
  }

  json wait_for(const std::string& id, const std::string& status, std::chrono::seconds timeout = 60s) {
    auto client = buyer_client();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json last;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto r = client.get_order(id); r.ok()) {
        last = r.body;
        if (last.value("status", "") == status) return last;
      }
      std::this_thread::sleep_for(50ms);
    }
    return last;
  }

  // The API requests the emulator recorded, as JSON bodies.
  std::vector<json> bodies() const {
    std::vector<json> out;
    for (const auto& request : emulator.recorded_requests()) out.push_back(json::parse(request.body, nullptr, false));
    return out;
  }

  // The request whose first user turn mentions `marker`.
  std::vector<json> requests_about(const std::string& marker) const {
    std::vector<json> out;
    for (auto& body : bodies())
      if (body.is_object() && body["messages"][0].value("content", "").find(marker) != std::string::npos)
        out.push_back(body);
    return out;
  }

  json status_json() {
    auto run = run_runtime_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, dir.path());
    auto parsed = json::parse(run.stdout_text, nullptr, false);
    return parsed.is_object() ? parsed : json::object();
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  Buyer buyer;
  std::vector<std::unique_ptr<ChildProcess>> runtimes;
};

bool told(const json& order, const std::string& words) {
  for (auto& m : order.value("messages", json::array()))
    if (m.value("content", "").find(words) != std::string::npos) return true;
  return false;
}

TEST_F(RuntimeLifecycle, ARevisionRequestIsWorkedAsAConversationAndDeliveredOnceAndPastMaxRevisionsNothingRuns) {
  write_config(2);
  stop_runtime(start_runtime());  // registers the agent and publishes the gigs
  const std::string id = order("Blog post writer", "BRIEF-R: a post about green tea");
  auto client = buyer_client();
  // A clarification posted before the work starts is the buyer's word, in the prompt.
  ASSERT_TRUE(client.post_message(id, buyer.id, "CLARIFY-1: keep it friendly").ok());
  auto& daemon = start_runtime();
  json first = wait_for(id, "delivered");
  ASSERT_EQ(first.value("status", ""), "delivered") << daemon.output();
  const std::string delivered_before = first["delivery_data"].is_string()
                                           ? json::parse(first["delivery_data"].get<std::string>())["content"]
                                           : first["delivery_data"]["content"];

  ASSERT_TRUE(client.post_message(id, buyer.id, "REVISE-1: make the title shorter", "revision_request").ok());
  ASSERT_TRUE(client.set_order_status(id, "revision_requested", buyer.id).ok());
  json revised = wait_for(id, "delivered");
  ASSERT_EQ(revised.value("status", ""), "delivered") << daemon.output();
  ASSERT_EQ(revised.value("revisions_used", 0), 1);
  EXPECT_TRUE(told(revised, "Revision 1 delivered.")) << revised.dump(2);

  auto asked = requests_about("BRIEF-R");
  ASSERT_EQ(asked.size(), 2u) << "the original work and one revision round, each asked once";
  const json& turns = asked[1]["messages"];
  ASSERT_EQ(turns.size(), 3u) << turns.dump(2);
  EXPECT_EQ(turns[0]["role"], "user");
  EXPECT_EQ(turns[1]["role"], "assistant");
  EXPECT_EQ(turns[1]["content"], delivered_before) << "the previous delivery is the model's own turn";
  EXPECT_EQ(turns[2]["role"], "user");
  EXPECT_NE(turns[2]["content"].get<std::string>().find("REVISE-1: make the title shorter"), std::string::npos);
  EXPECT_EQ(turns[2]["content"].get<std::string>().find("CLARIFY-1"), std::string::npos);
  EXPECT_NE(turns[0]["content"].get<std::string>().find("CLARIFY-1: keep it friendly"), std::string::npos)
      << "the clarification is part of the brief's turn";
  EXPECT_NE(asked[0]["messages"][0]["content"].get<std::string>().find("The buyer's own words"), std::string::npos);

  // The one revision the gig offers is used: the server refuses a second
  // request, and the daemon runs nothing.
  auto refused = client.set_order_status(id, "revision_requested", buyer.id);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.error.find("No revisions left"), std::string::npos) << refused.error;
  // A later order is delivered: by then a revision run would have been asked too.
  const std::string later = order("Blog post writer", "BRIEF-LATER: anything");
  ASSERT_EQ(wait_for(later, "delivered").value("status", ""), "delivered") << daemon.output();
  EXPECT_EQ(requests_about("BRIEF-R").size(), 2u);
  EXPECT_EQ(wait_for(id, "delivered").value("revisions_used", 0), 1);
  // `status` shows the revision delivered (the state file is written every 2 s at most).
  auto revisions_in_status = [&] {
    const json counters = status_json().value("daemon", json::object()).value("counters", json::object());
    return counters.is_object() ? counters.value("revisions_delivered", -1) : -1;
  };
  int shown = -1;
  for (int i = 0; i < 100 && shown != 1; ++i) {
    shown = revisions_in_status();
    if (shown != 1) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(shown, 1);
  stop_runtime(daemon);
}

TEST_F(RuntimeLifecycle, APremiumOrderCarriesItsTierAndAGigUsesItsOwnModelAndPrompt) {
  write_config(2);
  auto& daemon = start_runtime();
  const std::string premium = order("Blog post writer", "BRIEF-P: a long post", "premium");
  const std::string basic = order("Blog post writer", "BRIEF-B: a short post", "basic");
  const std::string review =
      order("Code review", "BRIEF-C: review this", "basic", json{{"language", "c++"}, {"code", "int main(){}"}});
  for (const auto& id : {premium, basic, review})
    ASSERT_EQ(wait_for(id, "delivered").value("status", ""), "delivered") << daemon.output();

  auto p = requests_about("BRIEF-P");
  ASSERT_EQ(p.size(), 1u);
  const std::string system = p[0].value("system", "");
  EXPECT_NE(system.find("TOP-PROMPT"), std::string::npos);
  EXPECT_NE(system.find("PREMIUM-RULES: 3,000 words"), std::string::npos) << system;
  EXPECT_NE(system.find("EXAMPLE-IN: a post about tea"), std::string::npos) << "the worked example";
  EXPECT_NE(system.find("EXAMPLE-OUT: Tea is a drink"), std::string::npos);
  EXPECT_NE(p[0]["messages"][0]["content"].get<std::string>().find("premium: 3000-word long-form post"),
            std::string::npos);
  EXPECT_EQ(p[0]["model"], "claude-test");

  auto b = requests_about("BRIEF-B");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].value("system", "").find("PREMIUM-RULES"), std::string::npos) << "basic has no such instructions";
  EXPECT_NE(b[0]["messages"][0]["content"].get<std::string>().find("basic: 500-word post"), std::string::npos);

  auto c = requests_about("BRIEF-C");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["model"], "claude-review-model");
  EXPECT_EQ(c[0]["max_tokens"], 321);
  EXPECT_NE(c[0].value("system", "").find("REVIEWER-PROMPT"), std::string::npos);
  EXPECT_EQ(c[0].value("system", "").find("TOP-PROMPT"), std::string::npos) << "the gig's prompt replaces the top one";
  stop_runtime(daemon);
}

TEST_F(RuntimeLifecycle, InputThatFailsTheInputSchemaIsRejectedAndTheBuyerToldEachProblem) {
  write_config(2);
  auto& daemon = start_runtime();
  // The schema is published as the gig's api_schema.
  auto gig = buyer_client().get_gig(
      gig_id_of(server.url(), read_agent_id(dir.path() + "/.gigent-credentials"), "Code review"));
  ASSERT_TRUE(gig.ok());
  auto published = json::parse(gig.body.value("api_schema", "null"), nullptr, false);
  EXPECT_EQ(published["required"], json::array({"language", "code"})) << gig.body.dump(2);

  const std::string id = order("Code review", "BRIEF-BAD: review", "basic", json{{"language", 7}});
  json rejected = wait_for(id, "rejected");
  ASSERT_EQ(rejected.value("status", ""), "rejected") << daemon.output();
  EXPECT_TRUE(told(rejected, "/language: expected a string, got a number")) << rejected.dump(2);
  EXPECT_TRUE(told(rejected, "code")) << rejected.dump(2);
  EXPECT_TRUE(requests_about("BRIEF-BAD").empty()) << "never sent to the model";
  stop_runtime(daemon);
}

TEST_F(RuntimeLifecycle, AJsonReplyThatFailsTheOutputSchemaGetsOneCorrectiveTurn) {
  write_config(2, "json");
  auto& daemon = start_runtime();
  emulator.push(llm_emulator::Action::from_json({{"action", "ok"}, {"text", "Sure! Here is {not json"}}));
  emulator.push(llm_emulator::Action::from_json({{"action", "ok"}, {"text", R"({"title": "Tea", "words": 3})"}}));
  const std::string id = order("Data extraction", "BRIEF-J: extract the title");
  json done = wait_for(id, "delivered");
  ASSERT_EQ(done.value("status", ""), "delivered") << daemon.output();
  json data =
      done["delivery_data"].is_string() ? json::parse(done["delivery_data"].get<std::string>()) : done["delivery_data"];
  EXPECT_EQ(data["result"], json({{"title", "Tea"}, {"words", 3}}));

  auto asked = requests_about("BRIEF-J");
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_NE(asked[0].value("system", "").find("\"words\""), std::string::npos) << "the schema is in the prompt";
  const json& turns = asked[1]["messages"];
  ASSERT_EQ(turns.size(), 3u);
  EXPECT_EQ(turns[1]["content"], "Sure! Here is {not json");
  EXPECT_NE(turns[2]["content"].get<std::string>().find("not a JSON document"), std::string::npos);

  // Wrong twice: the order fails with the reason (rejected is not possible once
  // in progress, so it is cancelled), and the buyer is told.
  emulator.push(llm_emulator::Action::from_json({{"action", "ok"}, {"text", R"({"title": 5})"}}));
  emulator.push(llm_emulator::Action::from_json({{"action", "ok"}, {"text", R"({"title": 6})"}}));
  const std::string bad = order("Data extraction", "BRIEF-J2: extract again");
  json failed = wait_for(bad, "cancelled");
  ASSERT_EQ(failed.value("status", ""), "cancelled") << daemon.output();
  EXPECT_TRUE(told(failed, "/title: expected a string, got a number")) << failed.dump(2);
  EXPECT_EQ(requests_about("BRIEF-J2").size(), 2u);
  stop_runtime(daemon);
}

TEST_F(RuntimeLifecycle, WithOneWorkerTheEarliestDeadlineGoesFirstAndALateOrderIsDoneAndLogged) {
  write_config(1);
  stop_runtime(start_runtime());  // registers the agent and publishes the gigs
  // Placed while no daemon runs, the later deadline first: the blog gig is
  // due in 24 h, the code review in 1 h.
  const std::string late_due = order("Blog post writer", "BRIEF-D24: due tomorrow");
  const std::string soon_due =
      order("Code review", "BRIEF-D1: due in an hour", "basic", json{{"language", "go"}, {"code", "package main"}});
  // The urgent one is already late: it is still done (first), and logged as late.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(server.db_path().c_str(), &db), SQLITE_OK);
  const std::string sql =
      fmt::format("UPDATE orders SET deadline = '2020-01-01T00:00:00.000Z' WHERE id = '{}'", soon_due);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  server.restart();  // order pages are cached until the server's own next write
  auto& daemon = start_runtime();
  for (const auto& id : {late_due, soon_due})
    ASSERT_EQ(wait_for(id, "delivered").value("status", ""), "delivered") << daemon.output();
  std::vector<std::string> order_of_requests;
  for (auto& body : bodies()) {
    const std::string text = body["messages"][0].value("content", "");
    if (text.find("BRIEF-D1") != std::string::npos) order_of_requests.push_back("D1");
    if (text.find("BRIEF-D24") != std::string::npos) order_of_requests.push_back("D24");
  }
  EXPECT_EQ(order_of_requests, (std::vector<std::string>{"D1", "D24"}));
  EXPECT_TRUE(daemon.wait_for_output(fmt::format("order {} is late (deadline 2020-01-01", soon_due), 10s))
      << daemon.output();
  stop_runtime(daemon);
}

}  // namespace
