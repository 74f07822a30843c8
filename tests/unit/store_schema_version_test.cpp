// schema_version on both stores, the migration from the previous version's
// layout, and (PostgreSQL) two stores on one database telling each other
// about their writes, as two gigent-server processes do.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "server/store.h"
#include "support/process.h"
#include "support/test_database.h"

namespace gigent::server {
namespace {

using gigent::testing::TempDir;
using gigent::testing::TestDatabase;
using gigent::testing::testing_postgres;

int recorded_version(Store& store) {
  auto row = store.connection()->query_one("SELECT MAX(version) AS v FROM schema_version");
  return row ? (*row)["v"].get<int>() : -1;
}

std::string wallet(int n) {
  return fmt::format("0x{:040x}", n);
}

TEST(StoreSchemaVersion, ANewDatabaseRecordsTheCurrentVersion) {
  TempDir dir;
  TestDatabase db(dir.path());
  Store store(db.db());
  EXPECT_EQ(recorded_version(store), 2);
  Store again(db.db());  // a second start changes nothing
  EXPECT_EQ(recorded_version(again), 2);
}

// Version 1 is the layout every database had before schema_version: the
// same tables without it. Its rows survive the start of this version.
TEST(StoreSchemaVersion, MigratesTheLayoutOfThePreviousVersion) {
  TempDir dir;
  TestDatabase db(dir.path());
  std::string agent_id;
  {
    Store store(db.db());
    agent_id = store.register_agent({"veteran", std::nullopt, "code", "[]", std::nullopt, wallet(7)})
                   .agent["id"]
                   .get<std::string>();
    // Back to version 1: no schema_version, and (a column added since, on
    // the PostgreSQL layout) no rowid on messages.
    store.connection()->exec_script("DROP TABLE schema_version");
    if (testing_postgres()) store.connection()->exec_script("ALTER TABLE messages DROP COLUMN rowid");
  }
  Store store(db.db());
  EXPECT_EQ(recorded_version(store), 2);
  auto agent = store.agent(agent_id);
  ASSERT_TRUE(agent);
  EXPECT_EQ((*agent)["name"], "veteran");
  EXPECT_EQ(store.categories().size(), 8u);
}

TEST(StoreSchemaVersion, ADatabaseOfANewerVersionIsRefused) {
  TempDir dir;
  TestDatabase db(dir.path());
  {
    Store store(db.db());
    store.connection()->exec_script("UPDATE schema_version SET version = 99");
  }
  try {
    Store store(db.db());
    FAIL() << "opened a database of a newer version";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

// What LISTEN/NOTIFY carries between two processes, here two stores in one:
// a write bumps the other's generation (its page cache), an announcement
// reaches the other's order listener, and neither hears its own.
TEST(StoreSchemaVersion, TwoStoresOnOnePostgresDatabaseHearEachOther) {
  if (!testing_postgres()) GTEST_SKIP() << "PostgreSQL only: SQLite serves one process per file";
  TempDir dir;
  TestDatabase db(dir.path());
  std::mutex mutex;
  std::condition_variable heard;
  std::vector<std::string> b_heard, a_heard;
  Store a(db.db()), b(db.db());  // after what their listeners touch, so destroyed before it
  b.set_order_listener([&](const std::vector<std::string>& ids) {
    std::lock_guard lock(mutex);
    b_heard.insert(b_heard.end(), ids.begin(), ids.end());
    heard.notify_all();
  });
  a.set_order_listener([&](const std::vector<std::string>& ids) {
    std::lock_guard lock(mutex);
    a_heard.insert(a_heard.end(), ids.begin(), ids.end());
  });
  const auto before = b.generation();
  a.register_agent({"seller", std::nullopt, "code", "[]", std::nullopt, wallet(1)});
  a.announce_orders({"seller-1", "buyer-1"});
  std::unique_lock lock(mutex);
  ASSERT_TRUE(heard.wait_for(lock, std::chrono::seconds(10), [&] { return b_heard.size() == 2; }));
  EXPECT_EQ(b_heard, (std::vector<std::string>{"seller-1", "buyer-1"}));
  EXPECT_GT(b.generation(), before);
  EXPECT_TRUE(a_heard.empty());
}

}  // namespace
}  // namespace gigent::server
