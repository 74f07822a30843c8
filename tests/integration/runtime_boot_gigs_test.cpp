// Boot keeps the agent's gigs in step with the YAML against the real server:
// a lost answer to POST /api/gigs is resolved by reading back (never a second
// gig), a gig paused by the operator stays paused and is not re-created, a gig
// removed from the YAML is paused (never deleted) and re-activated when it
// comes back, and `replaces` renames a gig in place.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <csignal>
#include <fstream>

#include "fault_proxy.h"
#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

class RuntimeBootGigs : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.wallet = "0x00000000000000000000000000000000000000b7";
    write_config();
  }
  void TearDown() override {
    if (!key().empty()) {
      EXPECT_EQ(all_output.find(key()), std::string::npos) << "the Gigent key leaked";
    }
  }

  void write_config(const std::string& extra_gig_lines = "") {
    std::string text = yaml.to_yaml();
    if (!extra_gig_lines.empty()) {
      // After the first gig's title line.
      auto at = text.find('\n', text.find("  - title: "));
      text.insert(at + 1, extra_gig_lines);
    }
    std::ofstream(config_path()) << text;
  }
  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  std::string credentials_path() const { return dir.file(".gigent-credentials"); }
  std::string key() const {
    std::ifstream in(credentials_path());
    if (!in) return "";
    auto json = nlohmann::json::parse(in, nullptr, false);
    return json.is_object() ? json.value("api_key", "") : "";
  }

  // Boots the daemon until it is ready, stops it, returns its output.
  std::string boot_once(const std::string& url = "") {
    auto runtime = spawn_runtime(config_path(), url.empty() ? server.url() : url, dir.path(), true);
    runtime->signal(SIGTERM);
    EXPECT_EQ(runtime->wait_exit(30s).value_or(-1), 0) << runtime->output();
    all_output += runtime->output();
    return runtime->output();
  }

  // Every gig of the agent, every status, read with its key.
  std::vector<nlohmann::json> own_gigs() {
    marketplace::MarketplaceClient client({server.url(), key()});
    auto me = client.get_me();
    EXPECT_TRUE(me.ok()) << me.error;
    std::vector<nlohmann::json> gigs;
    for (auto& g : me.body["gigs"]) gigs.push_back(g);
    return gigs;
  }
  std::vector<nlohmann::json> gigs_titled(const std::string& title) {
    std::vector<nlohmann::json> out;
    for (auto& g : own_gigs())
      if (g.value("title", "") == title) out.push_back(g);
    return out;
  }
  void set_status(const std::string& gig_id, const std::string& status) {
    marketplace::MarketplaceClient client({server.url(), key()});
    auto r = client.update_gig(gig_id, {{"status", status}});
    ASSERT_TRUE(r.ok()) << r.error;
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  std::string all_output;
};

TEST_F(RuntimeBootGigs, ALostAnswerToPublishingAGigIsReadBackNotPostedTwice) {
  boot_once();  // registers; publishes "Blog post writer"
  yaml.gig_titles = {"Blog post writer", "Newsletter editor"};
  write_config();

  FaultProxy proxy(server.url());
  std::atomic<int> posts{0};
  proxy.set_rule([&](const http::Request& r) {
    if (r.method == "POST" && r.path == "/api/gigs" && posts++ == 0)
      return garble_after_forwarding(502, "<html>Bad Gateway</html>");
    return forward();
  });
  auto out = boot_once(proxy.url());
  EXPECT_EQ(posts.load(), 1) << out;
  EXPECT_EQ(gigs_titled("Newsletter editor").size(), 1u) << out;
  EXPECT_NE(out.find("was lost"), std::string::npos) << out;
  EXPECT_NE(out.find("not posting it again"), std::string::npos) << out;
}

TEST_F(RuntimeBootGigs, AGigThatWasNeverCreatedIsPostedAgainAfterALostAnswer) {
  FaultProxy proxy(server.url());
  std::atomic<int> posts{0};
  proxy.set_rule([&](const http::Request& r) {
    if (r.method == "POST" && r.path == "/api/gigs" && posts++ == 0) return respond(503, R"({"error":"busy"})");
    return forward();
  });
  auto out = boot_once(proxy.url());
  EXPECT_EQ(posts.load(), 2) << out;
  EXPECT_EQ(gigs_titled("Blog post writer").size(), 1u) << out;
}

TEST_F(RuntimeBootGigs, AGigPausedByTheOperatorStaysPausedAndIsNotRecreated) {
  boot_once();
  auto gigs = gigs_titled("Blog post writer");
  ASSERT_EQ(gigs.size(), 1u);
  std::string id = gigs[0]["id"];
  set_status(id, "paused");

  auto out = boot_once();
  gigs = gigs_titled("Blog post writer");
  ASSERT_EQ(gigs.size(), 1u) << "a paused gig was published a second time\n" << out;
  EXPECT_EQ(gigs[0]["status"], "paused") << out;
  EXPECT_NE(out.find("was not paused by the runtime: left as it is"), std::string::npos) << out;
}

TEST_F(RuntimeBootGigs, AGigRemovedFromTheFileIsPausedAndReactivatedWhenItComesBack) {
  yaml.gig_titles = {"Blog post writer", "Newsletter editor"};
  write_config();
  boot_once();
  std::string id = gigs_titled("Newsletter editor").at(0)["id"];

  yaml.gig_titles = {"Blog post writer"};
  write_config();
  auto out = boot_once();
  auto gigs = gigs_titled("Newsletter editor");
  ASSERT_EQ(gigs.size(), 1u) << out;
  EXPECT_EQ(gigs[0]["status"], "paused") << "removed from the file but still on sale\n" << out;
  EXPECT_NE(out.find("paused gig \"Newsletter editor\""), std::string::npos) << out;

  struct stat st {};
  ASSERT_EQ(::stat(dir.file(".gigent-gigs.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  yaml.gig_titles = {"Blog post writer", "Newsletter editor"};
  write_config();
  out = boot_once();
  gigs = gigs_titled("Newsletter editor");
  ASSERT_EQ(gigs.size(), 1u) << "re-created instead of re-activated\n" << out;
  EXPECT_EQ(gigs[0]["id"], id);
  EXPECT_EQ(gigs[0]["status"], "active") << out;
  EXPECT_NE(out.find("re-activated gig \"Newsletter editor\""), std::string::npos) << out;
}

TEST_F(RuntimeBootGigs, AGigPausedByHandWhileInTheFileStaysPausedEvenAfterTheRuntimePausedItOnce) {
  yaml.gig_titles = {"Blog post writer", "Newsletter editor"};
  write_config();
  boot_once();
  yaml.gig_titles = {"Blog post writer"};
  write_config();
  boot_once();  // the runtime pauses "Newsletter editor"
  yaml.gig_titles = {"Blog post writer", "Newsletter editor"};
  write_config();
  boot_once();  // and re-activates it
  std::string id = gigs_titled("Newsletter editor").at(0)["id"];
  set_status(id, "paused");  // now the operator pauses it by hand

  auto out = boot_once();
  auto gigs = gigs_titled("Newsletter editor");
  ASSERT_EQ(gigs.size(), 1u) << out;
  EXPECT_EQ(gigs[0]["status"], "paused") << out;
}

TEST_F(RuntimeBootGigs, ARenamedGigWithReplacesIsPatchedInPlace) {
  boot_once();
  std::string id = gigs_titled("Blog post writer").at(0)["id"];

  yaml.gig_titles = {"Long-form blog writer"};
  write_config("    replaces: \"Blog post writer\"\n");
  auto out = boot_once();
  auto all = own_gigs();
  ASSERT_EQ(all.size(), 1u) << out;
  EXPECT_EQ(all[0]["id"], id);
  EXPECT_EQ(all[0]["title"], "Long-form blog writer");
  EXPECT_EQ(all[0]["status"], "active");
  EXPECT_NE(out.find("renamed gig \"Blog post writer\" to \"Long-form blog writer\""), std::string::npos) << out;
}

TEST_F(RuntimeBootGigs, ARenamedGigWithoutReplacesIsARemovalPlusANewGig) {
  boot_once();
  yaml.gig_titles = {"Long-form blog writer"};
  write_config();
  auto out = boot_once();
  auto old_gigs = gigs_titled("Blog post writer");
  ASSERT_EQ(old_gigs.size(), 1u) << out;
  EXPECT_EQ(old_gigs[0]["status"], "paused");
  auto new_gigs = gigs_titled("Long-form blog writer");
  ASSERT_EQ(new_gigs.size(), 1u) << out;
  EXPECT_EQ(new_gigs[0]["status"], "active");
}

}  // namespace
