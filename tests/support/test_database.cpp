#include "support/test_database.h"

#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <libpq-fe.h>

namespace gigent::testing {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Skips the whole PostgreSQL registration when no cluster was given, so a
// plain `ctest` passes on a machine without one.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (testing_postgres() && env("GIGENT_TEST_POSTGRES_URL").empty())
      GTEST_SKIP() << "no PostgreSQL cluster: run under scripts/with-postgres.sh";
  }
};

[[maybe_unused]] const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

bool testing_postgres() {
  return env("GIGENT_TEST_STORE") == "postgres";
}

std::string postgres_url(const std::string& database) {
  std::string admin = env("GIGENT_TEST_POSTGRES_URL");
  if (admin.empty()) throw std::runtime_error("GIGENT_TEST_POSTGRES_URL is not set");
  if (database.empty()) return admin;
  return admin.substr(0, admin.rfind('/') + 1) + database;
}

void postgres_admin(const std::string& sql, const std::string& database) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(postgres_url(database).c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("PostgreSQL: ") + PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), &PQclear);
  auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(fmt::format("PostgreSQL: {} in: {}", PQerrorMessage(conn.get()), sql));
}

PostgresSession::PostgresSession(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn_);
    PQfinish(conn_);
    throw std::runtime_error("PostgreSQL: " + why);
  }
}

PostgresSession::~PostgresSession() {
  PQfinish(conn_);
}

void PostgresSession::exec(const std::string& sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_, sql.c_str()), &PQclear);
  auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(fmt::format("PostgreSQL: {} in: {}", PQerrorMessage(conn_), sql));
}

TestDatabase::TestDatabase(const std::string& dir, const std::string& file_name) {
  if (!testing_postgres()) {
    db_ = dir + "/" + file_name;
    return;
  }
  std::random_device random;
  pg_name_ = fmt::format("gigent_test_{:08x}{:08x}", random(), random());
  postgres_admin("CREATE DATABASE " + pg_name_);
  db_ = postgres_url(pg_name_);
}

TestDatabase::~TestDatabase() {
  if (pg_name_.empty()) return;
  try {
    postgres_admin(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg_name_));
  } catch (const std::exception&) {
    // The cluster is removed after the run anyway.
  }
}

}  // namespace gigent::testing
