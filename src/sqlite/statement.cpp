#include "sqlite/statement.h"

#include <sqlite3.h>

namespace gigent::sqlite {

sqlite3* open(const std::string& path, int flags, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw Error("cannot open database " + path + ": " + reason);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return db;
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string reason = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw Error(reason);
  }
}

StatementCache::~StatementCache() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

sqlite3_stmt* StatementCache::get(std::string_view sql) {
  if (auto it = statements_.find(std::string(sql)); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK)
    throw Error(std::string("prepare failed: ") + sqlite3_errmsg(db_));
  statements_.emplace(std::string(sql), stmt);
  return stmt;
}

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::fail(const char* what) const {
  std::string message = sqlite3_errmsg(sqlite3_db_handle(stmt_));
  throw Error(what ? std::string(what) + ": " + message : message);
}

void Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail("bind failed");
}

void Statement::bind_int64(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail("bind failed");
}

void Statement::bind_double(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail("bind failed");
}

void Statement::bind_text(int index, std::string_view value, bool copy) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        copy ? SQLITE_TRANSIENT : SQLITE_STATIC) != SQLITE_OK)
    fail("bind failed");
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(nullptr);
}

int Statement::run() {
  while (step()) {
  }
  return sqlite3_changes(sqlite3_db_handle(stmt_));
}

int Statement::column_count() const {
  return sqlite3_column_count(stmt_);
}

int Statement::column_type(int i) const {
  return sqlite3_column_type(stmt_, i);
}

const char* Statement::column_name(int i) const {
  return sqlite3_column_name(stmt_, i);
}

std::int64_t Statement::column_int64(int i) const {
  return sqlite3_column_int64(stmt_, i);
}

double Statement::column_double(int i) const {
  return sqlite3_column_double(stmt_, i);
}

std::string_view Statement::column_text(int i) const {
  auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  if (!text) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))};
}

}  // namespace gigent::sqlite
