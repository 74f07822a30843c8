// Boot and the agent's identity against the real server: a registration whose
// answer was lost never creates a second agent and says what happened; the
// runtime's own files are never followed through symbolic links; a corrupt
// journal says so; the TypeScript runtime's credentials work as they are; the
// profile follows the YAML; `rotate-key` swaps the key, also under a running
// daemon.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "fault_proxy.h"
#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

class RuntimeBootIdentity : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.wallet = "0x00000000000000000000000000000000000000c3";
    write_config();
  }
  void TearDown() override {
    for (const auto& key : keys_seen) {
      EXPECT_EQ(all_output.find(key), std::string::npos) << "a Gigent key leaked";
    }
  }

  void write_config() { std::ofstream(config_path()) << yaml.to_yaml(); }
  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  std::string credentials_path() const { return dir.file(".gigent-credentials"); }
  nlohmann::json credentials() const { return nlohmann::json::parse(slurp(credentials_path())); }
  std::string key() {
    std::string k = credentials().value("api_key", "");
    keys_seen.insert(k);
    return k;
  }

  std::string boot_once(const std::string& url = "") {
    auto runtime = spawn_runtime(config_path(), url.empty() ? server.url() : url, dir.path(), true);
    runtime->signal(SIGTERM);
    EXPECT_EQ(runtime->wait_exit(30s).value_or(-1), 0) << runtime->output();
    all_output += runtime->output();
    return runtime->output();
  }
  // Boot must stop with exit 3; returns the output.
  std::string boot_refused(const std::string& url = "") {
    auto runtime = spawn_runtime(config_path(), url.empty() ? server.url() : url, dir.path(), false);
    auto code = runtime->wait_exit(60s);
    EXPECT_EQ(code.value_or(-1), 3) << runtime->output();
    EXPECT_EQ(runtime->output().find("online and ready"), std::string::npos) << runtime->output();
    all_output += runtime->output();
    return runtime->output();
  }
  CliRun cli(const std::vector<std::string>& args) {
    auto run = run_runtime_cli(args, dir.path());
    all_output += run.output();
    return run;
  }
  // The agents of the test's wallet named `name`.
  std::vector<nlohmann::json> agents_named(const std::string& name) {
    marketplace::MarketplaceClient client({server.url(), ""});
    auto r = client.list_agents_by_owner(yaml.wallet, {100, 0});
    EXPECT_TRUE(r.ok()) << r.error;
    std::vector<nlohmann::json> out;
    for (auto& a : r.body["agents"])
      if (a.value("name", "") == name && a.value("owner_wallet", "") == yaml.wallet) out.push_back(a);
    return out;
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  std::string all_output;
  std::set<std::string> keys_seen;
};

// ------------------------------------------------------------ registration

TEST_F(RuntimeBootIdentity, ALostRegistrationAnswerStopsWithWhatHappenedAndNeverRegistersTwice) {
  FaultProxy proxy(server.url());
  std::atomic<int> posts{0};
  proxy.set_rule([&](const http::Request& r) {
    if (r.method == "POST" && r.path == "/api/agents/register") {
      posts++;
      return garble_after_forwarding(502, "<html>Bad Gateway</html>");
    }
    return forward();
  });
  auto out = boot_refused(proxy.url());
  EXPECT_EQ(posts.load(), 1) << "registration was posted again after its answer was lost\n" << out;
  EXPECT_EQ(agents_named(yaml.name).size(), 1u);
  EXPECT_NE(out.find("carries the only copy of the API key, was lost"), std::string::npos) << out;
  EXPECT_NE(out.find("another agent.name"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(credentials_path()));

  // Started again, it still does not register a same-named second agent.
  out = boot_refused();
  EXPECT_NE(out.find("already has an agent named"), std::string::npos) << out;
  EXPECT_EQ(agents_named(yaml.name).size(), 1u);
}

TEST_F(RuntimeBootIdentity, ARegistrationThatNeverReachedTheBackendIsPostedAgain) {
  FaultProxy proxy(server.url());
  std::atomic<int> posts{0};
  proxy.set_rule([&](const http::Request& r) {
    if (r.method == "POST" && r.path == "/api/agents/register" && posts++ == 0)
      return respond(503, R"({"error":"busy"})");
    return forward();
  });
  auto out = boot_once(proxy.url());
  EXPECT_EQ(posts.load(), 2) << out;
  EXPECT_EQ(agents_named(yaml.name).size(), 1u);
  EXPECT_NE(out.find("so nothing was registered"), std::string::npos) << out;
  key();
}

// ------------------------------------------------------------ local files

TEST_F(RuntimeBootIdentity, SymlinkedCredentialsAreRefusedWithAdviceThatLeavesTheTargetAlone) {
  std::string target = dir.file("someone-elses-file");
  std::ofstream(target) << "root:x:0:0:root:/root:/bin/bash\n";
  ::chmod(target.c_str(), 0644);
  ASSERT_EQ(::symlink(target.c_str(), credentials_path().c_str()), 0);
  auto out = boot_refused();
  EXPECT_NE(out.find("is a symbolic link"), std::string::npos) << out;
  EXPECT_NE(out.find("rm " + credentials_path()), std::string::npos) << out;
  EXPECT_EQ(out.find("chmod"), std::string::npos) << "advice that would change the link's target\n" << out;
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(slurp(target), "root:x:0:0:root:/root:/bin/bash\n");
}

TEST_F(RuntimeBootIdentity, ASymlinkedJournalIsRefusedAndItsTargetUntouched) {
  std::string target = dir.file("elsewhere.db");
  std::ofstream(target) << "not yours";
  ASSERT_EQ(::symlink(target.c_str(), dir.file(".gigent-journal.db").c_str()), 0);
  auto out = boot_refused();
  EXPECT_NE(out.find("is a symbolic link"), std::string::npos) << out;
  EXPECT_EQ(out.find("permissions"), std::string::npos) << out;
  EXPECT_EQ(slurp(target), "not yours");
  EXPECT_FALSE(std::filesystem::exists(credentials_path())) << "registered although the journal is unusable";
}

TEST_F(RuntimeBootIdentity, ACorruptJournalSaysCorruptAndWhatMovingItAsideLoses) {
  std::ofstream(dir.file(".gigent-journal.db")) << std::string(8192, 'x');
  auto out = boot_refused();
  EXPECT_NE(out.find("is corrupt"), std::string::npos) << out;
  EXPECT_NE(out.find("mv " + dir.file(".gigent-journal.db")), std::string::npos) << out;
  EXPECT_NE(out.find("not delivered yet"), std::string::npos) << out;
  EXPECT_EQ(out.find("free space"), std::string::npos) << "blames the disk for a corrupt file\n" << out;
}

// ------------------------------------------------------------ TypeScript credentials

TEST_F(RuntimeBootIdentity, CredentialsWrittenByTheTypeScriptRuntimeAreUsedAsTheyAre) {
  marketplace::MarketplaceClient client({server.url(), ""});
  auto r = client.register_agent({{"name", yaml.name}, {"owner_wallet", yaml.wallet}});
  ASSERT_TRUE(r.ok()) << r.error;
  std::string agent_id = r.body["id"], api_key = r.body["api_key"];
  keys_seen.insert(api_key);
  // JSON.stringify(creds, null, 2) as that runtime writes it, plus keys it may add.
  nlohmann::json ts = {{"agent_id", agent_id},
                       {"api_key", api_key},
                       {"registered_at", "2026-02-15T16:37:04.123Z"},
                       {"wallet_address", "0x1111111111111111111111111111111111111111"}};
  std::ofstream(credentials_path()) << ts.dump(2);
  ::chmod(credentials_path().c_str(), 0600);

  auto out = boot_once();
  EXPECT_NE(out.find("using credentials"), std::string::npos) << out;
  EXPECT_EQ(agents_named(yaml.name).size(), 1u) << "registered again instead of using the file\n" << out;
  EXPECT_EQ(credentials(), ts) << "the file was rewritten";

  // Rewritten by rotate-key: same format, the TypeScript runtime's keys kept.
  auto run = cli({"rotate-key", "-c", config_path(), "-u", server.url()});
  ASSERT_EQ(run.exit_code, 0) << run.output();
  auto rotated = credentials();
  EXPECT_NE(rotated["api_key"], api_key);
  keys_seen.insert(rotated.value("api_key", ""));
  rotated["api_key"] = api_key;
  EXPECT_EQ(rotated, ts);
}

// ------------------------------------------------------------ profile

TEST_F(RuntimeBootIdentity, AChangedProfileIsSentAtBootAndLogged) {
  boot_once();
  std::string agent_id = credentials()["agent_id"];
  yaml.name = "Test Writer Pro";
  write_config();
  auto out = boot_once();
  EXPECT_NE(out.find("updated the agent's profile to match the config (name)"), std::string::npos) << out;
  marketplace::MarketplaceClient client({server.url(), ""});
  auto agent = client.get_agent(agent_id);
  ASSERT_TRUE(agent.ok()) << agent.error;
  EXPECT_EQ(agent.body["name"], "Test Writer Pro");
  key();
}

TEST_F(RuntimeBootIdentity, ABackendWithoutTheProfileRouteGivesOneWarningAndBootGoesOn) {
  boot_once();
  yaml.name = "Test Writer Pro";
  write_config();
  FaultProxy proxy(server.url());
  std::atomic<int> patches{0};
  proxy.set_rule([&](const http::Request& r) {
    if (r.method == "PATCH" && r.path.rfind("/api/agents/", 0) == 0) {
      patches++;
      return respond(404, "<html>Cannot PATCH</html>", "text/html");
    }
    return forward();
  });
  auto out = boot_once(proxy.url());
  EXPECT_EQ(patches.load(), 1) << out;
  EXPECT_NE(out.find("this backend cannot update a profile"), std::string::npos) << out;
  key();
}

// ------------------------------------------------------------ rotate-key

TEST_F(RuntimeBootIdentity, RotateKeySavesTheNewKeyAndTheOldOneIsRefused) {
  boot_once();
  std::string old_key = key();
  auto before = credentials();
  auto run = cli({"rotate-key", "-c", config_path(), "-u", server.url()});
  ASSERT_EQ(run.exit_code, 0) << run.output();
  std::string new_key = key();
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(credentials()["agent_id"], before["agent_id"]);
  EXPECT_EQ(credentials()["registered_at"], before["registered_at"]);
  struct stat st {};
  ASSERT_EQ(::stat(credentials_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(run.output().find(new_key), std::string::npos) << "the new key was printed";

  marketplace::MarketplaceClient with_old({server.url(), old_key});
  EXPECT_EQ(with_old.get_me().status, 401);
  marketplace::MarketplaceClient with_new({server.url(), new_key});
  EXPECT_TRUE(with_new.get_me().ok());
  boot_once();  // the daemon boots on the saved key
}

TEST_F(RuntimeBootIdentity, ARunningDaemonSwitchesToTheRotatedKeyWithoutARestart) {
  auto runtime = spawn_runtime(config_path(), server.url(), dir.path(), true);
  std::string agent_id = credentials()["agent_id"];
  key();
  auto run = cli({"rotate-key", "-c", config_path(), "-u", server.url()});
  ASSERT_EQ(run.exit_code, 0) << run.output();
  key();

  // Taking and delivering an order needs the key: the daemon must use the new one.
  auto buyer = register_buyer(server.url(), 7);
  keys_seen.insert(buyer.api_key);
  auto order = place_order(server.url(), buyer, gig_id_of(server.url(), agent_id, "Blog post writer"), "Write a post");
  marketplace::MarketplaceClient as_buyer({server.url(), buyer.api_key});
  bool delivered = FaultProxy::wait_until(
      [&] {
        auto r = as_buyer.get_order(order["id"]);
        return r.ok() && r.body.value("status", "") == "delivered";
      },
      60s);
  runtime->signal(SIGTERM);
  runtime->wait_exit(30s);
  all_output += runtime->output();
  EXPECT_TRUE(delivered) << runtime->output();
  EXPECT_NE(runtime->output().find("re-read"), std::string::npos) << runtime->output();
}

TEST_F(RuntimeBootIdentity, RotateKeyWithoutCredentialsSaysHowToGetThem) {
  auto run = cli({"rotate-key", "-c", config_path(), "-u", server.url()});
  EXPECT_EQ(run.exit_code, 3) << run.output();
  EXPECT_NE(run.output().find("there is no key to rotate"), std::string::npos) << run.output();
}

}  // namespace
