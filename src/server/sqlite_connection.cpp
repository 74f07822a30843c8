#include "server/sqlite_connection.h"

#include <cstring>

#include <sqlite3.h>

#include "server/row_json.h"

namespace gigent::server {
namespace {

// The parameters outlive the statement's use, so SQLite need not copy strings.
void bind(sqlite::Statement& s, const std::vector<Json>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    const Json& p = params[i];
    if (p.is_null())
      s.bind_null(index);
    else if (p.is_boolean())
      s.bind_int64(index, p.get<bool>() ? 1 : 0);
    else if (p.is_number_integer())
      s.bind_int64(index, p.get<std::int64_t>());
    else if (p.is_number())
      s.bind_double(index, p.get<double>());
    else if (p.is_string())
      s.bind_text(index, p.get_ref<const std::string&>(), false);
    else
      s.bind_text(index, p.dump(), true);
  }
}

}  // namespace

SqliteConnection::SqliteConnection(const std::string& path)
    : db_(sqlite::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, 5000)),
      statements_(std::make_unique<sqlite::StatementCache>(db_)) {
  try {
    exec_script("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 20000;");
  } catch (...) {
    statements_.reset();
    sqlite3_close(db_);
    throw;
  }
}

SqliteConnection::~SqliteConnection() {
  statements_.reset();  // finalized before the connection closes
  sqlite3_close(db_);
}

void SqliteConnection::exec_script(const std::string& sql) {
  sqlite::exec(db_, sql);
}

bool SqliteConnection::in_autocommit() const {
  return sqlite3_get_autocommit(db_) != 0;
}

std::vector<Json> SqliteConnection::query(std::string_view sql, const std::vector<Json>& params) {
  sqlite::Statement s(prepared(sql));
  bind(s, params);
  std::vector<Json> rows;
  int columns = s.column_count();
  while (s.step()) {
    Json row = Json::object();
    for (int i = 0; i < columns; ++i) row[s.column_name(i)] = column_value(s, i);
    rows.push_back(std::move(row));
  }
  return rows;
}

void SqliteConnection::query_json(std::string& out, std::string_view sql, const std::vector<Json>& params) {
  sqlite::Statement s(prepared(sql));
  bind(s, params);
  int columns = s.column_count();
  std::vector<std::string> keys;  // '"name":' per column, escaped once
  keys.reserve(static_cast<std::size_t>(columns));
  for (int i = 0; i < columns; ++i) {
    std::string key;
    const char* name = s.column_name(i);
    append_json_string(key, name, std::strlen(name));
    key.push_back(':');
    keys.push_back(std::move(key));
  }
  out.reserve(out.size() + 4096);
  out.push_back('[');
  bool first_row = true;
  while (s.step()) {
    out += first_row ? "{" : ",{";
    first_row = false;
    for (int i = 0; i < columns; ++i) {
      if (i) out.push_back(',');
      out += keys[static_cast<std::size_t>(i)];
      append_json_value(out, s, i);
    }
    out.push_back('}');
  }
  out.push_back(']');
}

int SqliteConnection::execute(std::string_view sql, const std::vector<Json>& params) {
  sqlite::Statement s(prepared(sql));
  bind(s, params);
  return s.run();
}

}  // namespace gigent::server
