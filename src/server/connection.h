#pragma once
// One pooled SQLite connection of the store: JSON parameters in, rows out as
// JSON objects (or straight as JSON text for the hot list route), every
// statement prepared once per connection. A Lease borrows one from the Store
// for a request and gives it back when it goes out of scope.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sqlite/statement.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gigent::server {

using Json = nlohmann::ordered_json;

// Thrown for a SQLite failure; the route boundary turns it into a 500.
using StoreError = sqlite::Error;

class Connection {
 public:
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` with `params` bound to ?1..?n (null, integers, doubles,
  // strings; booleans as 0/1) and returns every row.
  std::vector<Json> query(std::string_view sql, const std::vector<Json>& params = {});
  std::optional<Json> query_one(std::string_view sql, const std::vector<Json>& params = {});
  // Like query(), but writes the rows straight out as JSON array text: the hot
  // list endpoint skips building a document only to serialise it.
  void query_json(std::string& out, std::string_view sql, const std::vector<Json>& params = {});
  // Runs a statement that returns no rows; returns sqlite3_changes().
  int execute(std::string_view sql, const std::vector<Json>& params = {});
  // Runs unprepared SQL (schema, pragmas, BEGIN/COMMIT).
  void exec_script(const std::string& sql);
  // False while a transaction is open on this connection.
  bool in_autocommit() const;
  sqlite3* handle() { return db_; }

 private:
  sqlite3_stmt* prepared(std::string_view sql) { return statements_->get(sql); }
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite::StatementCache> statements_;
};

class Store;

// A connection borrowed from the pool for one request; returned on
// destruction unless discarded or left inside a transaction.
class Lease {
 public:
  Lease(Store* store, std::unique_ptr<Connection> conn);
  ~Lease();
  Lease(Lease&&) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease& operator=(Lease&&) = delete;
  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_.get(); }
  // Closes the connection instead of pooling it (its state is unknown).
  void discard() { conn_.reset(); }

 private:
  Store* store_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace gigent::server
