// The operator's commands against a real daemon, server and LLM emulator:
// orders, show, status --watch, deliver --edit, regenerate and doctor.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/json_client.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

class RuntimeOperatorCli : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    // Polling, not long-polling: the daemon's reconcile (which picks up a
    // regeneration) runs between polls.
    yaml.extra_runtime = "  long_poll_seconds: 0\n";
  }
  void write_config() { std::ofstream(config_path()) << yaml.to_yaml(); }
  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  std::string credentials_path() const { return dir.file(".gigent-credentials"); }
  CliRun cli(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"-c", config_path()});
    return run_runtime_cli(args, dir.path());
  }
  // A daemon on the config and one order placed on its gig; returns the order id.
  std::string order_with_daemon(const std::string& brief) {
    write_config();
    runtime = spawn_runtime(config_path(), server.url(), dir.path(), true);
    buyer = register_buyer(server.url());
    auto order = place_order(server.url(), buyer,
                             gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer"), brief);
    return order.value("id", "");
  }
  // An editor: a script that records its file's mode, then runs `body` on it.
  std::string editor_script(const std::string& body) {
    const std::string path = dir.file("editor.sh");
    std::ofstream(path) << "#!/bin/sh\nstat -c %a \"$1\" > " << dir.file("editor-mode") << "\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }
  CliRun run_with_editor(const std::string& editor, const std::string& order_id) {
    SpawnOptions options;
    options.args = {"deliver", "-c", config_path(), "-u", server.url(), "--edit", order_id};
    options.env = {{"EDITOR", editor}};
    options.unset_env = {"VISUAL"};
    ChildProcess child(build_path("gigent-runtime"), options, dir.path());
    CliRun run;
    run.exit_code = child.wait_exit(60s).value_or(-1);
    run.stdout_text = child.stdout_text();
    run.stderr_text = child.stderr_text();
    return run;
  }
  void TearDown() override {
    if (runtime && runtime->running()) {
      runtime->signal(SIGTERM);
      EXPECT_EQ(runtime->wait_exit(60s).value_or(-1), 0) << runtime->output();
    }
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  Buyer buyer;
  std::unique_ptr<ChildProcess> runtime;
};

TEST_F(RuntimeOperatorCli, OrdersAndShowListTheWorkWithBriefAndResultAndNeverPassEscapesToTheTerminal) {
  const std::string id = order_with_daemon("Write about bread \x1b[2J\x1b]0;owned\x07 please");
  ASSERT_EQ(wait_for_order_status(server.url(), id, "delivered", 60s).value("status", ""), "delivered");

  auto listed = cli({"orders", "-u", server.url()});
  EXPECT_EQ(listed.exit_code, 0) << listed.output();
  EXPECT_NE(listed.stdout_text.find("ID"), std::string::npos) << listed.stdout_text;
  EXPECT_NE(listed.stdout_text.find(id), std::string::npos) << listed.stdout_text;
  EXPECT_NE(listed.stdout_text.find("Blog post writer"), std::string::npos) << listed.stdout_text;
  EXPECT_NE(listed.stdout_text.find("delivered"), std::string::npos) << listed.stdout_text;

  auto as_json = cli({"orders", "-u", server.url(), "--json"});
  auto rows = nlohmann::json::parse(as_json.stdout_text, nullptr, false);
  ASSERT_TRUE(rows.is_array() && rows.size() == 1) << as_json.output();
  EXPECT_EQ(rows[0].value("id", ""), id);
  EXPECT_EQ(rows[0].value("status", ""), "delivered");
  EXPECT_EQ(rows[0].value("tier", ""), "basic");
  EXPECT_EQ(rows[0].value("buyer_id", ""), buyer.id);

  auto none = cli({"orders", "-u", server.url(), "--state", "pending", "--json"});
  EXPECT_EQ(nlohmann::json::parse(none.stdout_text, nullptr, false), nlohmann::json::array()) << none.output();
  EXPECT_EQ(cli({"orders", "-u", server.url(), "--state", "bogus"}).exit_code, 2);

  auto shown = cli({"show", "-u", server.url(), id});
  EXPECT_EQ(shown.exit_code, 0) << shown.output();
  EXPECT_NE(shown.stdout_text.find("Write about bread"), std::string::npos) << shown.stdout_text;
  EXPECT_NE(shown.stdout_text.find("Emulated reply to:"), std::string::npos) << shown.stdout_text;
  EXPECT_NE(shown.stdout_text.find("\\x1b[2J"), std::string::npos) << shown.stdout_text;
  EXPECT_EQ(shown.stdout_text.find('\x1b'), std::string::npos) << "a raw escape reached the terminal";
  EXPECT_EQ(shown.stdout_text.find('\x07'), std::string::npos);

  EXPECT_EQ(cli({"show", "-u", server.url(), "no-such-order"}).exit_code, 1);
  EXPECT_EQ(cli({"show", "-u", server.url(), "../etc"}).exit_code, 2);
  EXPECT_EQ(cli({"orders", "-u", "http://127.0.0.1:1"}).exit_code, 5);
}

TEST_F(RuntimeOperatorCli, DeliverEditSendsTheEditedTextOnlyWhenItChanged) {
  yaml.auto_deliver = false;
  const std::string id = order_with_daemon("Hold it for review");
  ASSERT_TRUE(runtime->wait_for_output("auto_deliver is off", 60s)) << runtime->output();

  auto unchanged = run_with_editor(editor_script("true"), id);
  EXPECT_EQ(unchanged.exit_code, 0) << unchanged.output();
  EXPECT_NE(unchanged.stdout_text.find("nothing was delivered"), std::string::npos) << unchanged.output();
  EXPECT_EQ(slurp(dir.file("editor-mode")), "600\n") << "the result is written to a private file";
  auto emptied = run_with_editor(editor_script(": > \"$1\""), id);
  EXPECT_NE(emptied.stdout_text.find("nothing was delivered"), std::string::npos) << emptied.output();
  EXPECT_EQ(wait_for_order_status(server.url(), id, "delivered", 1s).value("status", ""), "in_progress");
  auto failed = run_with_editor(editor_script("exit 3"), id);
  EXPECT_EQ(failed.exit_code, 1) << failed.output();

  auto edited = run_with_editor(editor_script("printf 'Edited by the operator' > \"$1\""), id);
  EXPECT_EQ(edited.exit_code, 0) << edited.output();
  auto row = wait_for_order_status(server.url(), id, "delivered", 30s);
  ASSERT_EQ(row.value("status", ""), "delivered") << edited.output();
  json_http::Client api(server.url());
  auto order = api.get("/api/orders/" + id, buyer.api_key);
  auto data = nlohmann::json::parse(order.body.value("delivery_data", "{}"), nullptr, false);
  EXPECT_EQ(data.value("content", ""), "Edited by the operator") << order.raw;
  EXPECT_EQ(emulator.successes(), 1);
}

TEST_F(RuntimeOperatorCli, RegenerateHasTheDaemonCallTheModelAgainWithTheNote) {
  yaml.auto_deliver = false;
  const std::string id = order_with_daemon("A first draft, please");
  ASSERT_TRUE(runtime->wait_for_output("auto_deliver is off", 60s)) << runtime->output();
  ASSERT_EQ(emulator.successes(), 1);

  auto asked = cli({"regenerate", id, "--note", "Make it about sourdough"});
  EXPECT_EQ(asked.exit_code, 0) << asked.output();
  EXPECT_NE(asked.stdout_text.find("by the running daemon"), std::string::npos) << asked.output();
  for (auto deadline = std::chrono::steady_clock::now() + 120s;
       emulator.successes() < 2 && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(200ms);
  ASSERT_EQ(emulator.successes(), 2) << runtime->output();
  auto requests = emulator.recorded_requests();
  EXPECT_NE(requests.back().body.find("Make it about sourdough"), std::string::npos) << requests.back().body;
  EXPECT_EQ(requests.front().body.find("Make it about sourdough"), std::string::npos);

  // Kept for review again, not delivered; a second regenerate needs a kept result.
  bool kept = false;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; !kept && std::chrono::steady_clock::now() < deadline;) {
    auto shown = cli({"show", "-u", server.url(), id});
    kept = shown.stdout_text.find("Kept result, not delivered yet") != std::string::npos;
    if (!kept) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(kept);
  EXPECT_EQ(wait_for_order_status(server.url(), id, "delivered", 1s).value("status", ""), "in_progress");
  EXPECT_EQ(cli({"regenerate", "no-such-order"}).exit_code, 1);
}

TEST_F(RuntimeOperatorCli, StatusWatchRepeatsUntilSigintAndExitsZero) {
  write_config();
  SpawnOptions options;
  options.args = {"status", "-c", config_path(), "-u", server.url(), "--watch", "--interval", "1"};
  ChildProcess watch(build_path("gigent-runtime"), options, dir.path());
  ASSERT_TRUE(watch.wait_for_output("Recent deliveries", 30s)) << watch.output();
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < deadline && watch.stdout_text().find("----\nEvery") == std::string::npos;)
    std::this_thread::sleep_for(100ms);
  EXPECT_NE(watch.stdout_text().find("----\nEvery 1 s"), std::string::npos) << "a second report: " << watch.output();
  EXPECT_EQ(watch.stdout_text().find("\x1b[2J"), std::string::npos) << "no screen control when not a terminal";
  watch.signal(SIGINT);
  EXPECT_EQ(watch.wait_exit(30s).value_or(-1), 0) << watch.output();
}

TEST_F(RuntimeOperatorCli, DoctorReportsEachCheckAndFailsOnABrokenOne) {
  order_with_daemon("Make the daemon register");
  auto healthy = cli({"doctor", "-u", server.url()});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.output();
  for (const char* line :
       {"ok    config", "ok    credentials", "ok    backend", "ok    clock", "ok    agent", "ok    llm key"})
    EXPECT_NE(healthy.stdout_text.find(line), std::string::npos) << line << "\n" << healthy.stdout_text;
  EXPECT_NE(healthy.stdout_text.find("long_poll"), std::string::npos) << healthy.stdout_text;
  EXPECT_EQ(healthy.output().find("LLMSECRET"), std::string::npos) << "the LLM key is never printed";
  auto requests = emulator.recorded_requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_NE(requests.back().body.find("\"max_tokens\":1"), std::string::npos) << requests.back().body;

  ::chmod(credentials_path().c_str(), 0644);
  auto exposed = cli({"doctor", "-u", server.url()});
  EXPECT_EQ(exposed.exit_code, 1) << exposed.output();
  EXPECT_NE(exposed.stdout_text.find("FAIL  credentials"), std::string::npos) << exposed.stdout_text;
  EXPECT_NE(exposed.stdout_text.find("chmod 600"), std::string::npos) << exposed.stdout_text;
  ::chmod(credentials_path().c_str(), 0600);

  yaml.base_url = "http://127.0.0.1:1";  // nothing listens there: the LLM check fails
  write_config();
  auto unreachable = cli({"doctor", "-u", "http://127.0.0.1:1"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.stdout_text.find("FAIL  backend"), std::string::npos) << unreachable.stdout_text;
  EXPECT_NE(unreachable.stdout_text.find("FAIL  llm key"), std::string::npos) << unreachable.stdout_text;

  std::ofstream(config_path()) << "agent: [";
  EXPECT_EQ(cli({"doctor"}).exit_code, 2);
}

}  // namespace
