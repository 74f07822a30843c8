#include "server/pg_connection.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "server/row_json.h"

namespace gigent::server {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat; they are fixed for built-in types.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Text-format parameters: PostgreSQL infers each one's type from where it is
// used, and parses the text as that type.
struct Params {
  std::vector<std::string> text;
  std::vector<const char*> values;

  explicit Params(const std::vector<Json>& params) {
    text.reserve(params.size());
    for (const Json& p : params) {
      if (p.is_null())
        text.emplace_back();
      else if (p.is_boolean())
        text.emplace_back(p.get<bool>() ? "1" : "0");
      else if (p.is_number_float())
        text.push_back(fmt::format("{}", p.get<double>()));  // shortest text that reads back the same
      else if (p.is_string())
        text.push_back(p.get<std::string>());
      else  // integers; objects and arrays as JSON text
        text.push_back(p.dump());
    }
    for (std::size_t i = 0; i < params.size(); ++i) values.push_back(params[i].is_null() ? nullptr : text[i].c_str());
  }
};

// A float as SQLite's column_value() gives it: whole values as integers.
Json number_value(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) return static_cast<std::int64_t>(v);
  return v;
}

Json cell(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return nullptr;
  const char* v = PQgetvalue(r, row, col);
  switch (PQftype(r, col)) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      std::int64_t n = 0;
      std::from_chars(v, v + std::strlen(v), n);
      return n;
    }
    case kFloat4:
    case kFloat8:
    case kNumeric:
      return number_value(std::strtod(v, nullptr));
    case kBool:
      return v[0] == 't';
    default:
      return std::string(v, static_cast<std::size_t>(PQgetlength(r, row, col)));
  }
}

// Columns the rows carry: every one but the schema's hidden `rowid`.
std::vector<int> visible_columns(const PGresult* r) {
  std::vector<int> out;
  for (int c = 0; c < PQnfields(r); ++c)
    if (std::strcmp(PQfname(r, c), "rowid") != 0) out.push_back(c);
  return out;
}

}  // namespace

struct PgConnection::Result {
  ResultPtr ptr{nullptr, &PQclear};
};

bool is_postgres_url(std::string_view db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::string pg_dialect(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  bool in_string = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'') in_string = !in_string;  // '' inside a literal toggles twice
    if (!in_string && c == '?' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out.push_back('$');
      continue;
    }
    if (!in_string && sql.compare(i, 4, "LIKE") == 0 && (i == 0 || !is_word_char(sql[i - 1])) &&
        (i + 4 >= sql.size() || !is_word_char(sql[i + 4]))) {
      out += "ILIKE";
      i += 3;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

PgConnection::PgConnection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
    PQfinish(conn_);
    throw StoreError("cannot connect to PostgreSQL: " + why);
  }
  // Store and compare text byte by byte, as SQLite does; UTC for datetime().
  exec_script("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET client_min_messages = warning");
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

void PgConnection::exec_script(const std::string& sql) {
  ResultPtr r(PQexec(conn_, sql.c_str()), &PQclear);
  auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw StoreError(fmt::format("PostgreSQL: {}", PQerrorMessage(conn_)));
}

bool PgConnection::in_autocommit() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

// Each SQL text is prepared once per connection under a short name. Filters
// build texts from a bounded set of shapes, so the map stays small; it is
// emptied all the same if it ever grows past a bound.
const std::string& PgConnection::prepared(std::string_view sql) {
  if (auto it = statements_.find(std::string(sql)); it != statements_.end()) return it->second;
  if (statements_.size() >= 512) {
    exec_script("DEALLOCATE ALL");
    statements_.clear();
  }
  std::string name = fmt::format("s{}", next_statement_++);
  ResultPtr r(PQprepare(conn_, name.c_str(), pg_dialect(sql).c_str(), 0, nullptr), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    throw StoreError(fmt::format("PostgreSQL: {} in: {}", PQerrorMessage(conn_), sql));
  return statements_.emplace(std::string(sql), std::move(name)).first->second;
}

PgConnection::Result PgConnection::run(std::string_view sql, const std::vector<Json>& params) {
  const std::string& name = prepared(sql);
  Params p(params);
  Result result;
  result.ptr.reset(
      PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), p.values.data(), nullptr, nullptr, 0));
  auto status = PQresultStatus(result.ptr.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw StoreError(fmt::format("PostgreSQL: {}", PQerrorMessage(conn_)));
  return result;
}

std::vector<Json> PgConnection::query(std::string_view sql, const std::vector<Json>& params) {
  auto result = run(sql, params);
  const PGresult* r = result.ptr.get();
  auto columns = visible_columns(r);
  std::vector<Json> rows;
  rows.reserve(static_cast<std::size_t>(PQntuples(r)));
  for (int row = 0; row < PQntuples(r); ++row) {
    Json out = Json::object();
    for (int c : columns) out[PQfname(r, c)] = cell(r, row, c);
    rows.push_back(std::move(out));
  }
  return rows;
}

void PgConnection::query_json(std::string& out, std::string_view sql, const std::vector<Json>& params) {
  auto result = run(sql, params);
  const PGresult* r = result.ptr.get();
  auto columns = visible_columns(r);
  out.push_back('[');
  for (int row = 0; row < PQntuples(r); ++row) {
    out += row ? ",{" : "{";
    bool first = true;
    for (int c : columns) {
      if (!first) out.push_back(',');
      first = false;
      const char* name = PQfname(r, c);
      append_json_string(out, name, std::strlen(name));
      out.push_back(':');
      Json value = cell(r, row, c);
      if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        append_json_string(out, text.data(), text.size());
      } else {
        out += value.dump();
      }
    }
    out.push_back('}');
  }
  out.push_back(']');
}

int PgConnection::execute(std::string_view sql, const std::vector<Json>& params) {
  auto result = run(sql, params);
  const char* n = PQcmdTuples(result.ptr.get());
  return n[0] ? std::atoi(n) : 0;
}

}  // namespace gigent::server
