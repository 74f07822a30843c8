#pragma once
// The PostgreSQL engine's connection (libpq). It runs the store's SQL as
// written for SQLite, with the few dialect steps done here rather than in
// every query: ?N becomes $N, LIKE becomes ILIKE (SQLite's LIKE ignores ASCII
// case), and a `rowid` column (the PostgreSQL schema's stand-in for SQLite's
// rowid, see schema.cpp) is left out of the rows. Column values become the
// same JSON as SQLite's (row_json.h): integers, whole floats without ".0",
// NULL, text.
#include <string>
#include <unordered_map>

#include "server/connection.h"

struct pg_conn;

namespace gigent::server {

class PgConnection final : public Connection {
 public:
  // `url`: a libpq connection string or postgresql:// URL. Throws StoreError.
  explicit PgConnection(const std::string& url);
  ~PgConnection() override;

  std::vector<Json> query(std::string_view sql, const std::vector<Json>& params = {}) override;
  void query_json(std::string& out, std::string_view sql, const std::vector<Json>& params = {}) override;
  int execute(std::string_view sql, const std::vector<Json>& params = {}) override;  // rows affected
  void exec_script(const std::string& sql) override;
  bool in_autocommit() const override;
  pg_conn* handle() { return conn_; }

 private:
  struct Result;
  Result run(std::string_view sql, const std::vector<Json>& params);
  const std::string& prepared(std::string_view sql);

  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> statements_;  // SQL text -> prepared statement name
  std::size_t next_statement_ = 0;
};

// The SQL text PostgreSQL is given for the store's `sql` (see above).
std::string pg_dialect(std::string_view sql);

// True for a --db value that names a PostgreSQL database.
bool is_postgres_url(std::string_view db);

}  // namespace gigent::server
