#pragma once
// The SQLite engine's connection: one sqlite3 handle with its statement cache.
#include <memory>
#include <string>

#include "server/connection.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gigent::server {

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::string& path);
  ~SqliteConnection() override;

  std::vector<Json> query(std::string_view sql, const std::vector<Json>& params = {}) override;
  void query_json(std::string& out, std::string_view sql, const std::vector<Json>& params = {}) override;
  int execute(std::string_view sql, const std::vector<Json>& params = {}) override;  // sqlite3_changes()
  void exec_script(const std::string& sql) override;
  bool in_autocommit() const override;
  sqlite3* handle() { return db_; }

 private:
  sqlite3_stmt* prepared(std::string_view sql) { return statements_->get(sql); }
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite::StatementCache> statements_;
};

}  // namespace gigent::server
