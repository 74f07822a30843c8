#pragma once
// Which store the server tests run against. CTest registers the server and
// store suites twice: once as they are (SQLite), once with
// GIGENT_TEST_STORE=postgres and the label "postgres"; scripts/with-postgres.sh
// provides the cluster (GIGENT_TEST_POSTGRES_URL). Without a cluster the
// PostgreSQL registration skips every test.
#include <string>

#include <gtest/gtest.h>

struct pg_conn;  // libpq's PGconn

namespace gigent::testing {

// True when this run is the PostgreSQL registration.
bool testing_postgres();

// A fresh, empty database for one test: a file under `dir` on SQLite, a new
// PostgreSQL database (dropped on destruction, with any session still on it)
// on PostgreSQL, so parallel tests never share one.
class TestDatabase {
 public:
  TestDatabase(const std::string& dir, const std::string& file_name = "gigent.db");
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  // The --db value (or Store path): a file path or a postgresql:// URL.
  const std::string& db() const { return db_; }

 private:
  std::string db_;
  std::string pg_name_;  // empty on SQLite
};

// Runs `sql` on the cluster's admin database (GIGENT_TEST_POSTGRES_URL), or
// on `database` of the same cluster. Throws on failure.
void postgres_admin(const std::string& sql, const std::string& database = "");
// The URL of `database` on the test cluster.
std::string postgres_url(const std::string& database);

// A session of its own on a PostgreSQL database, as another process would
// hold (its locks, its open transaction) until destroyed.
class PostgresSession {
 public:
  explicit PostgresSession(const std::string& url);
  ~PostgresSession();
  PostgresSession(const PostgresSession&) = delete;
  PostgresSession& operator=(const PostgresSession&) = delete;
  void exec(const std::string& sql);  // throws on failure

 private:
  pg_conn* conn_;
};

}  // namespace gigent::testing

// For a test about the SQLite file itself (its locks, its older layouts).
#define GIGENT_SQLITE_ONLY(why)                                                          \
  do {                                                                                   \
    if (::gigent::testing::testing_postgres()) GTEST_SKIP() << "SQLite only: " << (why); \
  } while (0)
