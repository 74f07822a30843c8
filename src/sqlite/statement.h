#pragma once
// The small SQLite layer every SQLite user in the project shares: open a
// connection with the usual settings, prepare each SQL text once per
// connection (StatementCache), and use a prepared statement through a guard
// that binds, steps and always leaves it reset and unbound (Statement).
//
// Everything throws sqlite::Error carrying SQLite's own message, so callers
// add their context (which file, which record) and nothing else.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace gigent::sqlite {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Opens `path` with `flags` (SQLITE_OPEN_*), extended result codes on and
// `busy_timeout_ms` as the busy handler. Throws Error naming the path.
sqlite3* open(const std::string& path, int flags, int busy_timeout_ms);

// Runs unprepared SQL, several statements allowed (schema, pragmas,
// BEGIN/COMMIT). Throws Error with SQLite's message.
void exec(sqlite3* db, const std::string& sql);

// One connection's prepared statements by SQL text. Not thread-safe: a cache
// belongs to one connection, which one thread uses at a time.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  // Finalizes every statement; destroy the cache before closing its connection.
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement for `sql`, prepared (persistent) on first use.
  sqlite3_stmt* get(std::string_view sql);
  std::size_t size() const { return statements_.size(); }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// One use of a prepared statement: bind ?1..?n, step through the rows, and
// reset and clear the bindings however the caller leaves, so the cached
// statement never keeps a read transaction open or a stale parameter.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // `index` is 1-based. Text bound with copy = false must outlive this use.
  void bind_null(int index);
  void bind_int64(int index, std::int64_t value);
  void bind_double(int index, double value);
  void bind_text(int index, std::string_view value, bool copy = true);

  // True when a row is ready, false when the statement is done.
  bool step();
  // Steps to the end; returns sqlite3_changes() of the connection.
  int run();

  int column_count() const;
  int column_type(int i) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL
  const char* column_name(int i) const;
  std::int64_t column_int64(int i) const;
  double column_double(int i) const;
  // Empty for NULL; valid until the next step.
  std::string_view column_text(int i) const;
  std::string column_string(int i) const { return std::string(column_text(i)); }

  sqlite3_stmt* handle() const { return stmt_; }

 private:
  [[noreturn]] void fail(const char* what) const;
  sqlite3_stmt* stmt_;
};

}  // namespace gigent::sqlite
