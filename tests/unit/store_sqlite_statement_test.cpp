// The shared SQLite layer (src/sqlite/) against a real database file.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <string>

#include "sqlite/statement.h"
#include "support/process.h"

namespace gigent::sqlite {
namespace {

using gigent::testing::TempDir;

struct Db {
  TempDir dir;
  sqlite3* db = open(dir.file("t.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1000);
  Db() {
    exec(db,
         "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, x REAL); INSERT INTO t VALUES ('a', 1, 1.5), ('b', 2, NULL)");
  }
  ~Db() { sqlite3_close(db); }
};

TEST(SqliteStatement, CacheReturnsOnePreparedStatementPerText) {
  Db d;
  {
    StatementCache cache(d.db);
    sqlite3_stmt* first = cache.get("SELECT n FROM t WHERE k = ?1");
    EXPECT_EQ(cache.get("SELECT n FROM t WHERE k = ?1"), first);
    EXPECT_NE(cache.get("SELECT x FROM t WHERE k = ?1"), first);
    EXPECT_EQ(cache.size(), 2u);
  }
  // The cache finalized its statements, so the connection closes cleanly.
  EXPECT_EQ(sqlite3_next_stmt(d.db, nullptr), nullptr);
}

TEST(SqliteStatement, BindsStepsAndReadsColumns) {
  Db d;
  StatementCache cache(d.db);
  {
    Statement s(cache.get("SELECT k, n, x FROM t WHERE n >= ?1 ORDER BY k"));
    s.bind_int64(1, 1);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_count(), 3);
    EXPECT_STREQ(s.column_name(0), "k");
    EXPECT_EQ(s.column_string(0), "a");
    EXPECT_EQ(s.column_int64(1), 1);
    EXPECT_DOUBLE_EQ(s.column_double(2), 1.5);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_type(2), SQLITE_NULL);
    EXPECT_EQ(s.column_text(2), "");
    EXPECT_FALSE(s.step());
  }
  Statement insert(cache.get("INSERT INTO t VALUES (?1, ?2, ?3)"));
  insert.bind_text(1, std::string("c"));
  insert.bind_int64(2, 3);
  insert.bind_null(3);
  EXPECT_EQ(insert.run(), 1);
}

TEST(SqliteStatement, LeavingEarlyResetsAndUnbinds) {
  Db d;
  StatementCache cache(d.db);
  sqlite3_stmt* raw = cache.get("SELECT k FROM t WHERE n >= ?1");
  {
    Statement s(raw);
    s.bind_int64(1, 0);
    ASSERT_TRUE(s.step());  // a row is pending: the statement holds a read
    EXPECT_TRUE(sqlite3_stmt_busy(raw));
  }
  EXPECT_FALSE(sqlite3_stmt_busy(raw));
  // The binding was cleared: ?1 is NULL again, which matches nothing.
  Statement again(raw);
  EXPECT_FALSE(again.step());
}

TEST(SqliteStatement, ErrorsCarrySqlitesMessage) {
  Db d;
  StatementCache cache(d.db);
  try {
    cache.get("SELECT nope FROM t");
    FAIL() << "prepared a statement naming a missing column";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such column: nope"), std::string::npos) << e.what();
  }
  Statement dup(cache.get("INSERT INTO t (k) VALUES (?1)"));
  dup.bind_text(1, "a");
  try {
    dup.run();
    FAIL() << "inserted a duplicate key";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("UNIQUE constraint failed"), std::string::npos) << e.what();
  }
  try {
    open(d.dir.file("missing/dir/x.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
    FAIL() << "opened an impossible path";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing/dir/x.db"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gigent::sqlite
