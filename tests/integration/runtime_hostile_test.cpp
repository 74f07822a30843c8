// The daemon against what a hostile buyer or a stray process can do to it:
// orders too large to list together, signals anyone on the machine can send,
// and a `status` that must say what it could not learn.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

class RuntimeHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    write_config();
  }
  void write_config() { std::ofstream(config_path()) << yaml.to_yaml(); }
  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  std::string credentials_path() const { return dir.file(".gigent-credentials"); }
  std::unique_ptr<ChildProcess> start_runtime(bool wait_ready = true) {
    return spawn_runtime(config_path(), server.url(), dir.path(), wait_ready);
  }
  // Registers the agent and publishes its gig, then stops: orders placed
  // afterwards are all pending when the daemon starts again.
  std::string gig_while_stopped() {
    auto runtime = start_runtime();
    std::string gig = gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer");
    runtime->signal(SIGTERM);
    EXPECT_EQ(runtime->wait_exit(30s).value_or(-1), 0) << runtime->output();
    return gig;
  }
  nlohmann::json status_json(int& code) {
    auto run = run_runtime_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, dir.path());
    code = run.exit_code;
    auto parsed = nlohmann::json::parse(run.stdout_text, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << run.output();
    return parsed;
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
};

TEST_F(RuntimeHostile, TwoOrdersWithHugeBriefsDoNotKeepANormalOneFromBeingDelivered) {
  std::string gig = gig_while_stopped();
  auto buyer = register_buyer(server.url());
  // Together more than the 16 MB the runtime reads in one answer.
  place_order(server.url(), buyer, gig, std::string(9'500'000, 'x'));
  place_order(server.url(), buyer, gig, std::string(9'500'000, 'y'));
  auto normal = place_order(server.url(), buyer, gig, "A normal brief");
  auto runtime = start_runtime();
  auto row = wait_for_order_status(server.url(), normal["id"], "delivered", 60s);
  EXPECT_EQ(row.value("status", ""), "delivered") << runtime->output().substr(0, 4000);
  runtime->signal(SIGTERM);
  EXPECT_EQ(runtime->wait_exit(60s).value_or(-1), 0);
}

TEST_F(RuntimeHostile, AfterStraySignalsSigtermStillDrainsAndExitsZero) {
  auto runtime = start_runtime();
  for (int sig : {SIGUSR1, SIGUSR2, SIGHUP, SIGPIPE, SIGALRM}) runtime->signal(sig);
  ASSERT_TRUE(runtime->wait_for_output("SIGALRM from pid", 10s)) << runtime->output();
  for (const char* name : {"SIGUSR1", "SIGUSR2", "SIGHUP"})
    EXPECT_NE(runtime->output().find(std::string(name) + " from pid"), std::string::npos) << name;
  EXPECT_TRUE(runtime->running()) << "a stray signal stopped the daemon: " << runtime->output();
  runtime->signal(SIGTERM);
  auto code = runtime->wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "SIGTERM was ignored after stray signals: " << runtime->output();
  EXPECT_EQ(*code, 0) << runtime->output();
  EXPECT_NE(runtime->output().find("finishing the ones in flight"), std::string::npos) << runtime->output();
}

TEST_F(RuntimeHostile, StatusExitsFiveWhenTheBackendCannotBeAsked) {
  auto runtime = start_runtime();
  runtime->signal(SIGTERM);
  ASSERT_EQ(runtime->wait_exit(30s).value_or(-1), 0);
  server.stop();
  auto run = run_runtime_cli({"status", "-c", config_path(), "-u", server.url()}, dir.path());
  EXPECT_EQ(run.exit_code, 5) << run.output();
  EXPECT_NE(run.stdout_text.find("Backend   unreachable: "), std::string::npos) << run.output();
}

TEST_F(RuntimeHostile, StatusCountsEveryStateAndNamesTheGigOfAKeptResult) {
  yaml.auto_deliver = false;
  write_config();
  auto runtime = start_runtime();
  auto buyer = register_buyer(server.url());
  auto order = place_order(server.url(), buyer,
                           gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer"), "Keep it");
  ASSERT_TRUE(runtime->wait_for_output("auto_deliver is off", 20s)) << runtime->output();
  int code = -1;
  auto status = status_json(code);
  EXPECT_EQ(code, 0) << status.dump(2);
  for (const char* st : {"pending", "accepted", "in_progress", "delivered", "completed", "rejected",
                         "revision_requested", "cancelled", "disputed", "resolved"})
    EXPECT_TRUE(status["backend"]["orders"][st].is_number()) << st << ": " << status.dump(2);
  EXPECT_EQ(status["backend"]["orders"]["in_progress"], 1);
  ASSERT_EQ(status["daemon"]["awaiting_delivery"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["daemon"]["awaiting_delivery"][0].value("title", ""), "Blog post writer") << status.dump(2);
  auto text = run_runtime_cli({"status", "-c", config_path(), "-u", server.url()}, dir.path()).stdout_text;
  EXPECT_NE(text.find(order["id"].get<std::string>() + "  \"Blog post writer\""), std::string::npos) << text;
  EXPECT_NE(text.find("revision_requested 0, cancelled 0, disputed 0"), std::string::npos) << text;
  runtime->signal(SIGTERM);
  EXPECT_EQ(runtime->wait_exit(30s).value_or(-1), 0);
}

}  // namespace
