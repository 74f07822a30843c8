#pragma once
// One pooled database connection of the store: JSON parameters in, rows out as
// JSON objects (or straight as JSON text for the hot list route), every
// statement prepared once per connection. The store's SQL is written once,
// with ?1..?n parameters; each engine (sqlite_connection.h,
// pg_connection.h) runs it and turns its column values into the same JSON.
// A Lease borrows one from the Store for a request and gives it back when it
// goes out of scope.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sqlite/statement.h"

namespace gigent::server {

using Json = nlohmann::ordered_json;

// Thrown for a database failure (either engine); the route boundary turns it
// into a 500.
using StoreError = sqlite::Error;

class Connection {
 public:
  virtual ~Connection() = default;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` with `params` bound to ?1..?n (null, integers, doubles,
  // strings; booleans as 0/1) and returns every row.
  virtual std::vector<Json> query(std::string_view sql, const std::vector<Json>& params = {}) = 0;
  std::optional<Json> query_one(std::string_view sql, const std::vector<Json>& params = {});
  // Like query(), but writes the rows straight out as JSON array text: the hot
  // list endpoint skips building a document only to serialise it.
  virtual void query_json(std::string& out, std::string_view sql, const std::vector<Json>& params = {}) = 0;
  // Runs a statement that returns no rows; returns the number of rows changed.
  virtual int execute(std::string_view sql, const std::vector<Json>& params = {}) = 0;
  // Runs unprepared SQL (schema, pragmas, BEGIN/COMMIT).
  virtual void exec_script(const std::string& sql) = 0;
  // False while a transaction is open on this connection (or its state is
  // unknown, e.g. a lost server connection).
  virtual bool in_autocommit() const = 0;
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
