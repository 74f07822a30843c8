// The daemon's own files going bad: unusable credentials (not JSON, missing
// fields, readable by others, owned by someone else, an agent the backend
// forgot), a read-only or full disk under the journal and the credentials.
// Each gives a clear error and exit 3 (or waits, for a disk that fills up
// while running), corrupts nothing, and leaks no secret.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <sqlite3.h>

#include "fault_proxy.h"
#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

// The first column of the first row of `sql` on the SQLite file at `path`.
std::string journal_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out = "(cannot open)";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    out = "(no row)";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

const std::string kFakeKey = "sk_" + std::string(48, 'k');

// A small tmpfs: the only way to make writes really fail for root (who
// ignores permission bits). Skips the test when mounting is not permitted.
class Tmpfs {
 public:
  Tmpfs(const std::string& path, const std::string& size) : path_(path) {
    std::filesystem::create_directories(path);
    std::string options = "size=" + size + ",mode=0755";
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool remount_read_only() { return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0; }
  // Writes a filler file until the disk is full; returns the bytes written.
  std::size_t fill(const std::string& name) {
    int fd = ::open((path_ + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    std::string block(4096, 'f');
    std::size_t total = 0;
    while (true) {
      auto n = ::write(fd, block.data(), block.size());
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return total;
  }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

class StorageAndCredentials : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.extra_runtime = "  long_poll_seconds: 2\n";
    config_dir = dir.path();
  }

  void TearDown() override {
    for (auto& r : runtimes) {
      auto out = r->output();
      EXPECT_EQ(out.find(yaml.api_key), std::string::npos) << "the LLM key leaked";
      EXPECT_EQ(out.find(kFakeKey), std::string::npos) << "the Gigent key leaked";
      if (!real_key.empty()) {
        EXPECT_EQ(out.find(real_key), std::string::npos) << "the Gigent key leaked";
      }
    }
  }

  std::string credentials_path() const { return config_dir + "/.gigent-credentials"; }
  std::string config_path() const { return config_dir + "/gigent-agent.yaml"; }
  void write_config() { std::ofstream(config_path()) << yaml.to_yaml(); }

  void write_credentials(const std::string& text, mode_t mode = 0600) {
    std::ofstream(credentials_path()) << text;
    ::chmod(credentials_path().c_str(), mode);
  }

  ChildProcess& start_runtime(bool wait_ready) {
    runtimes.push_back(spawn_runtime(config_path(), server.url(), dir.path(), wait_ready));
    return *runtimes.back();
  }

  // Boot must stop with exit 3 and say `advice`; returns the output.
  std::string expect_boot_refused(const std::string& advice) {
    auto& runtime = start_runtime(false);
    auto code = runtime.wait_exit(30s);
    EXPECT_TRUE(code.has_value()) << runtime.output();
    EXPECT_EQ(code.value_or(-1), 3) << runtime.output();
    EXPECT_NE(runtime.output().find(advice), std::string::npos) << runtime.output();
    EXPECT_EQ(runtime.output().find("online and ready"), std::string::npos) << runtime.output();
    return runtime.output();
  }

  TempDir dir;
  std::string config_dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  std::string real_key;
  std::vector<std::unique_ptr<ChildProcess>> runtimes;
};

// ---------------------------------------------------------------- credentials

TEST_F(StorageAndCredentials, CredentialsThatAreNotJsonAreRefusedWithAdvice) {
  write_config();
  write_credentials("agent_id=abc\napi_key=" + kFakeKey + "\n");
  expect_boot_refused("not a JSON object; restore it from a backup, or delete it to register a new agent");
}

TEST_F(StorageAndCredentials, CredentialsWithMissingOrMistypedFieldsAreRefusedWithAdvice) {
  write_config();
  write_credentials(nlohmann::json{{"agent_id", "00000000-0000-4000-8000-000000000000"}}.dump());
  expect_boot_refused("field \"api_key\" is missing");
  write_credentials(nlohmann::json{{"agent_id", 42}, {"api_key", kFakeKey}}.dump());
  expect_boot_refused("field \"agent_id\" is missing or not a non-empty string");
  write_credentials("");
  expect_boot_refused("not a JSON object");
}

TEST_F(StorageAndCredentials, CredentialsReadableByOthersAreRefusedWithTheChmod) {
  write_config();
  write_credentials(nlohmann::json{{"agent_id", "a"}, {"api_key", kFakeKey}}.dump(), 0640);
  expect_boot_refused("chmod 600");
}

TEST_F(StorageAndCredentials, CredentialsOwnedByAnotherUserAreRefusedWithTheChown) {
  write_config();
  write_credentials(nlohmann::json{{"agent_id", "a"}, {"api_key", kFakeKey}}.dump());
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  ASSERT_EQ(::chown(credentials_path().c_str(), 12345, 12345), 0) << std::strerror(errno);
  expect_boot_refused("owned by uid 12345");
}

TEST_F(StorageAndCredentials, CredentialsThatAreADirectoryAreRefused) {
  write_config();
  std::filesystem::create_directory(credentials_path());
  expect_boot_refused("not a regular file");
}

TEST_F(StorageAndCredentials, AnAgentIdTheBackendNoLongerKnowsGivesReRegisterOrRestoreAdvice) {
  write_config();
  write_credentials(nlohmann::json{{"agent_id", "00000000-0000-4000-8000-00000000dead"},
                                   {"api_key", kFakeKey},
                                   {"registered_at", "2026-01-01T00:00:00Z"}}
                        .dump());
  auto out = expect_boot_refused("does not know agent 00000000-0000-4000-8000-00000000dead");
  EXPECT_NE(out.find("move .gigent-credentials away to register a new agent"), std::string::npos) << out;
}

// ---------------------------------------------------------------- storage

TEST_F(StorageAndCredentials, AJournalPathThatCannotBeOpenedStopsBootBeforeRegistering) {
  write_config();
  std::filesystem::create_directory(config_dir + "/.gigent-journal.db");  // fails for root too
  auto out = expect_boot_refused("order journal");
  EXPECT_FALSE(std::filesystem::exists(credentials_path())) << "registered although the journal is unusable";
  EXPECT_EQ(out.find("registered agent"), std::string::npos) << out;
}

TEST_F(StorageAndCredentials, AReadOnlyConfigDirectoryStopsBootWithAClearErrorAndRegistersNothing) {
  Tmpfs fs(dir.file("ro"), "1m");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << fs.error();
  config_dir = dir.file("ro");
  write_config();
  ASSERT_TRUE(fs.remount_read_only()) << std::strerror(errno);
  auto out = expect_boot_refused("Read-only file system");
  // No agent registered whose key could not be kept (it would be orphaned).
  EXPECT_EQ(out.find("registered agent"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(credentials_path()));
  // Nothing half-written was left behind.
  for (auto& entry : std::filesystem::directory_iterator(config_dir))
    EXPECT_EQ(entry.path().filename(), "gigent-agent.yaml") << entry.path();
}

TEST_F(StorageAndCredentials, ADiskThatFillsUpWhileRunningLeavesOrdersPendingThenDeliversThemOnce) {
  Tmpfs fs(dir.file("small"), "2m");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << fs.error();
  config_dir = dir.file("small");
  write_config();
  auto& runtime = start_runtime(true);
  real_key = nlohmann::json::parse(slurp(credentials_path())).value("api_key", "");

  ASSERT_GT(fs.fill("filler"), 0u);
  auto buyer = register_buyer(server.url());
  auto id =
      place_order(server.url(), buyer, gig_id_of(server.url(), read_agent_id(credentials_path()), "Blog post writer"),
                  "Written once the disk has room")["id"]
          .get<std::string>();
  ASSERT_TRUE(runtime.wait_for_output("cannot record", 20s)) << runtime.output();
  EXPECT_TRUE(runtime.running()) << "a full disk must not kill the daemon:\n" << runtime.output();
  // Not taken while it cannot be recorded: it waits, pending, for nobody else to lose.
  EXPECT_EQ(wait_for_order_status(server.url(), id, "pending", 1s).value("status", ""), "pending");
  EXPECT_EQ(emulator.requests(), 0);

  std::filesystem::remove(config_dir + "/filler");
  auto row = wait_for_order_status(server.url(), id, "delivered", 30s);
  EXPECT_EQ(row.value("status", ""), "delivered") << runtime.output();
  EXPECT_EQ(emulator.requests(), 1);
  runtime.signal(SIGTERM);
  EXPECT_EQ(runtime.wait_exit(30s).value_or(-1), 0) << runtime.output();
  // The journal is still a sound database after the failed writes, and says delivered.
  EXPECT_EQ(journal_query(config_dir + "/.gigent-journal.db", "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(journal_query(config_dir + "/.gigent-journal.db", "SELECT state FROM jobs WHERE order_id = '" + id + "'"),
            "delivered");
}

}  // namespace
