#include "server/store.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <utility>

#include <sqlite3.h>

#include "common/secret.h"

namespace gigent::server {
namespace {

// Column definitions: the CREATE TABLE text, and the plainer declaration
// ALTER TABLE ADD COLUMN accepts (no keys, constant defaults) for databases
// made by an older schema.
struct Column {
  const char* name;
  const char* create_decl;
  const char* add_decl;
};
struct Table {
  const char* name;
  std::vector<Column> columns;
};

const std::vector<Table>& schema() {
  static const std::vector<Table> tables{
      {"agents",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"name", "TEXT NOT NULL", "TEXT"},
        {"description", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"category", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"tags", "TEXT DEFAULT '[]'", "TEXT DEFAULT '[]'"},
        {"avatar_url", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"owner_wallet", "TEXT COLLATE NOCASE UNIQUE", "TEXT COLLATE NOCASE"},
        {"wallet_address", "TEXT", "TEXT"},
        {"api_key_hash", "TEXT", "TEXT"},
        {"status", "TEXT DEFAULT 'active'", "TEXT DEFAULT 'active'"},
        {"rating", "REAL DEFAULT 0", "REAL DEFAULT 0"},
        {"total_orders", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"completed_orders", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"earnings", "REAL DEFAULT 0", "REAL DEFAULT 0"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"},
        {"last_seen", "TEXT", "TEXT"}}},
      {"gigs",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"agent_id", "TEXT NOT NULL REFERENCES agents(id)", "TEXT"},
        {"title", "TEXT NOT NULL", "TEXT"},
        {"description", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"category", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"subcategory", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"tags", "TEXT DEFAULT '[]'", "TEXT DEFAULT '[]'"},
        {"price_basic", "REAL NOT NULL", "REAL"},
        {"desc_basic", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"price_standard", "REAL", "REAL"},
        {"desc_standard", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"price_premium", "REAL", "REAL"},
        {"desc_premium", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"delivery_time_hours", "INTEGER DEFAULT 24", "INTEGER DEFAULT 24"},
        {"max_revisions", "INTEGER DEFAULT 1", "INTEGER DEFAULT 1"},
        {"example_input", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"example_output", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"api_schema", "TEXT", "TEXT"},
        {"status", "TEXT DEFAULT 'active'", "TEXT DEFAULT 'active'"},
        {"rating", "REAL DEFAULT 0", "REAL DEFAULT 0"},
        {"total_orders", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"},
        {"updated_at", "TEXT DEFAULT (datetime('now'))", "TEXT"}}},
      {"orders",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"gig_id", "TEXT NOT NULL REFERENCES gigs(id)", "TEXT"},
        {"buyer_id", "TEXT NOT NULL REFERENCES agents(id)", "TEXT"},
        {"seller_id", "TEXT NOT NULL REFERENCES agents(id)", "TEXT"},
        {"tier", "TEXT DEFAULT 'basic'", "TEXT DEFAULT 'basic'"},
        {"price", "REAL NOT NULL", "REAL"},
        {"brief", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"input_data", "TEXT", "TEXT"},
        {"delivery_data", "TEXT", "TEXT"},
        {"delivery_hash", "TEXT", "TEXT"},
        {"status", "TEXT DEFAULT 'pending'", "TEXT DEFAULT 'pending'"},
        {"deadline", "TEXT", "TEXT"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"},
        {"updated_at", "TEXT DEFAULT (datetime('now'))", "TEXT"},
        {"delivered_at", "TEXT", "TEXT"},
        {"completed_at", "TEXT", "TEXT"}}},
      {"messages",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"order_id", "TEXT NOT NULL REFERENCES orders(id)", "TEXT"},
        {"sender_id", "TEXT NOT NULL REFERENCES agents(id)", "TEXT"},
        {"content", "TEXT NOT NULL", "TEXT"},
        {"message_type", "TEXT DEFAULT 'text'", "TEXT DEFAULT 'text'"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"}}},
      {"categories",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"name", "TEXT NOT NULL", "TEXT"},
        {"slug", "TEXT UNIQUE", "TEXT"},
        {"description", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"icon", "TEXT DEFAULT ''", "TEXT DEFAULT ''"}}},
      {"reviews",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"order_id", "TEXT REFERENCES orders(id)", "TEXT"},
        {"reviewer_id", "TEXT REFERENCES agents(id)", "TEXT"},
        {"agent_id", "TEXT REFERENCES agents(id)", "TEXT"},
        {"rating", "INTEGER", "INTEGER"},
        {"comment", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"}}},
  };
  return tables;
}

// Created after migration, since some name columns an old table may lack.
constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS idx_orders_seller_status ON orders(seller_id, status, created_at);
CREATE INDEX IF NOT EXISTS idx_orders_buyer_status ON orders(buyer_id, status, created_at);
CREATE INDEX IF NOT EXISTS idx_gigs_agent ON gigs(agent_id);
CREATE INDEX IF NOT EXISTS idx_agents_owner_wallet ON agents(owner_wallet);
CREATE INDEX IF NOT EXISTS idx_agents_api_key_hash ON agents(api_key_hash);
CREATE INDEX IF NOT EXISTS idx_messages_order ON messages(order_id, created_at);
CREATE INDEX IF NOT EXISTS idx_reviews_agent ON reviews(agent_id, created_at);
)sql";

constexpr const char* kCategories = R"sql(
INSERT OR IGNORE INTO categories (id, name, slug, description, icon) VALUES
 ('cat_data', 'Data Processing', 'data', 'Scraping, cleaning, transforming and analysing data', '📊'),
 ('cat_code', 'Code & Development', 'code', 'Writing, reviewing and fixing code', '💻'),
 ('cat_writing', 'Writing & Content', 'writing', 'Articles, copy, documentation and editing', '✍️'),
 ('cat_creative', 'Creative & Design', 'creative', 'Images, branding, ideas and design work', '🎨'),
 ('cat_research', 'Research & Analysis', 'research', 'Market research, summaries and reports', '🔍'),
 ('cat_finance', 'Finance & Trading', 'finance', 'Financial analysis, modelling and trading signals', '💰'),
 ('cat_automation', 'Automation & Workflows', 'automation', 'Integrations, bots and workflow automation', '⚙️'),
 ('cat_ai', 'AI & Machine Learning', 'ai', 'Models, prompts, agents and evaluation', '🤖');
)sql";

// Resets and unbinds a cached statement however the caller leaves.
struct StatementUse {
  sqlite3_stmt* stmt;
  ~StatementUse() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

Json column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT: {
      double v = sqlite3_column_double(stmt, i);
      // JavaScript prints 5.0 as 5; so does the deployed service.
      if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9007199254740992.0)
        return static_cast<std::int64_t>(v);
      return v;
    }
    case SQLITE_NULL:
      return nullptr;
    default: {
      auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
  }
}

// Appends `text` as a JSON string exactly as nlohmann::json would write it.
// ASCII is escaped here; anything else goes through nlohmann, which also
// repairs invalid UTF-8 that an old database might hold.
void append_json_string(std::string& out, const char* text, std::size_t size) {
  static const char* hex = "0123456789abcdef";
  std::size_t mark = out.size();
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of characters copied as they are
  for (std::size_t i = 0; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) continue;
    if (c >= 0x80) {
      out.resize(mark);
      out += Json(std::string(text, size)).dump(-1, ' ', false, Json::error_handler_t::replace);
      return;
    }
    out.append(text + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
  }
  out.append(text + run, size - run);
  out.push_back('"');
}

void append_json_value(std::string& out, sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, sqlite3_column_int64(stmt, i));
      out.append(buf, end);
      return;
    }
    case SQLITE_FLOAT:
    case SQLITE_NULL:
      out += column_value(stmt, i).dump();
      return;
    default: {
      auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      append_json_string(out, text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
  }
}

std::string like_pattern(const std::string& term) {
  std::string out = "%";
  for (char c : term) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

// Public agent rows never carry the key hash; is_online becomes a real boolean.
Json public_agent(Json row) {
  row.erase("api_key_hash");
  if (auto it = row.find("is_online"); it != row.end()) *it = it->is_number() && it->get<std::int64_t>() != 0;
  return row;
}

constexpr const char* kAgentSelect =
    "SELECT a.*, (a.last_seen IS NOT NULL AND a.last_seen >= datetime('now','-2 minutes')) AS is_online "
    "FROM agents a ";

constexpr const char* kOrderWithNames =
    "SELECT o.*, g.title AS gig_title, b.name AS buyer_name, s.name AS seller_name FROM orders o "
    "LEFT JOIN gigs g ON g.id = o.gig_id LEFT JOIN agents b ON b.id = o.buyer_id "
    "LEFT JOIN agents s ON s.id = o.seller_id ";

const std::set<std::string, std::less<>>& gig_columns() {
  static const std::set<std::string, std::less<>> cols{"agent_id",
                                                       "title",
                                                       "description",
                                                       "category",
                                                       "subcategory",
                                                       "tags",
                                                       "price_basic",
                                                       "desc_basic",
                                                       "price_standard",
                                                       "desc_standard",
                                                       "price_premium",
                                                       "desc_premium",
                                                       "delivery_time_hours",
                                                       "max_revisions",
                                                       "example_input",
                                                       "example_output",
                                                       "api_schema",
                                                       "status"};
  return cols;
}

}  // namespace

// ---------------------------------------------------------------- Connection

Connection::Connection(const std::string& path) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open database " + path + ": " + reason);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec_script("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 20000;");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

void Connection::exec_script(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string reason = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError(reason);
  }
}

sqlite3_stmt* Connection::prepare(std::string_view sql, const std::vector<Json>& params) {
  sqlite3_stmt* stmt = nullptr;
  if (auto it = statements_.find(std::string(sql)); it != statements_.end()) {
    stmt = it->second;
  } else {
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK)
      throw StoreError(std::string("prepare failed: ") + sqlite3_errmsg(db_));
    statements_.emplace(std::string(sql), stmt);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    const Json& p = params[i];
    int rc = SQLITE_OK;
    if (p.is_null()) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (p.is_boolean()) {
      rc = sqlite3_bind_int(stmt, index, p.get<bool>() ? 1 : 0);
    } else if (p.is_number_integer()) {
      rc = sqlite3_bind_int64(stmt, index, p.get<std::int64_t>());
    } else if (p.is_number()) {
      rc = sqlite3_bind_double(stmt, index, p.get<double>());
    } else if (p.is_string()) {
      const auto& s = p.get_ref<const std::string&>();
      // The parameters outlive the statement's use, so SQLite need not copy.
      rc = sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    } else {
      std::string text = p.dump();
      rc = sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
      throw StoreError(std::string("bind failed: ") + sqlite3_errmsg(db_));
    }
  }
  return stmt;
}

std::vector<Json> Connection::query(std::string_view sql, const std::vector<Json>& params) {
  StatementUse use{prepare(sql, params)};
  std::vector<Json> rows;
  int columns = sqlite3_column_count(use.stmt);
  while (true) {
    int rc = sqlite3_step(use.stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw StoreError(sqlite3_errmsg(db_));
    Json row = Json::object();
    for (int i = 0; i < columns; ++i) row[sqlite3_column_name(use.stmt, i)] = column_value(use.stmt, i);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<Json> Connection::query_one(std::string_view sql, const std::vector<Json>& params) {
  auto rows = query(sql, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

void Connection::query_json(std::string& out, std::string_view sql, const std::vector<Json>& params) {
  StatementUse use{prepare(sql, params)};
  int columns = sqlite3_column_count(use.stmt);
  std::vector<std::string> keys;  // '"name":' per column, escaped once
  keys.reserve(static_cast<std::size_t>(columns));
  for (int i = 0; i < columns; ++i) {
    std::string key;
    const char* name = sqlite3_column_name(use.stmt, i);
    append_json_string(key, name, std::strlen(name));
    key.push_back(':');
    keys.push_back(std::move(key));
  }
  out.reserve(out.size() + 4096);
  out.push_back('[');
  bool first_row = true;
  while (true) {
    int rc = sqlite3_step(use.stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw StoreError(sqlite3_errmsg(db_));
    out += first_row ? "{" : ",{";
    first_row = false;
    for (int i = 0; i < columns; ++i) {
      if (i) out.push_back(',');
      out += keys[static_cast<std::size_t>(i)];
      append_json_value(out, use.stmt, i);
    }
    out.push_back('}');
  }
  out.push_back(']');
}

int Connection::execute(std::string_view sql, const std::vector<Json>& params) {
  StatementUse use{prepare(sql, params)};
  int rc;
  while ((rc = sqlite3_step(use.stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) throw StoreError(sqlite3_errmsg(db_));
  return sqlite3_changes(db_);
}

// --------------------------------------------------------------------- Lease

Lease::Lease(Store* store, std::unique_ptr<Connection> conn) : store_(store), conn_(std::move(conn)) {}
Lease::Lease(Lease&& other) noexcept : store_(other.store_), conn_(std::move(other.conn_)) {}
Lease::~Lease() {
  if (conn_) store_->give_back(std::move(conn_));
}

// --------------------------------------------------------------------- Store

Store::Store(std::string path, std::size_t max_idle_connections)
    : path_(std::move(path)), max_idle_(max_idle_connections) {
  auto conn = std::make_unique<Connection>(path_);
  conn->exec_script("PRAGMA journal_mode = WAL;");
  create_schema(*conn);
  give_back(std::move(conn));
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

Store::~Store() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_wake_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

// Copies the WAL back into the database off the request path. SQLite's own
// automatic checkpoint would run inside whichever commit crosses the
// threshold, fsync included, and every writer queued behind it would wait.
// PASSIVE never takes the writer lock. The automatic one stays as a backstop
// at a higher threshold (see Connection).
void Store::checkpoint_loop() {
  std::unique_ptr<Connection> conn;
  std::unique_lock lock(checkpoint_mutex_);
  while (!checkpoint_wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; })) {
    try {
      if (!conn) conn = std::make_unique<Connection>(path_);
      sqlite3_wal_checkpoint_v2(conn->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } catch (const std::exception&) {
      conn.reset();  // try again with a fresh connection next round
    }
  }
}

void Store::create_schema(Connection& conn) {
  for (const auto& table : schema()) {
    std::string sql = std::string("CREATE TABLE IF NOT EXISTS ") + table.name + " (";
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (i) sql += ", ";
      sql += std::string(table.columns[i].name) + " " + table.columns[i].create_decl;
    }
    sql += ")";
    conn.exec_script(sql);
    std::set<std::string> present;
    for (auto& row : conn.query(std::string("PRAGMA table_info(") + table.name + ")"))
      present.insert(row["name"].get<std::string>());
    for (const auto& column : table.columns) {
      if (present.count(column.name)) continue;
      conn.exec_script(std::string("ALTER TABLE ") + table.name + " ADD COLUMN " + column.name + " " + column.add_decl);
    }
  }
  conn.exec_script(kIndexes);
  conn.exec_script(kCategories);
}

Lease Store::connection() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  return Lease(this, std::make_unique<Connection>(path_));
}

void Store::give_back(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

void Store::write(const std::function<void(Connection&)>& body) {
  std::lock_guard writer(write_mutex_);
  auto conn = connection();
  conn->execute("BEGIN IMMEDIATE");
  try {
    body(*conn);
    conn->execute("COMMIT");
    generation_.fetch_add(1, std::memory_order_acq_rel);
  } catch (...) {
    try {
      conn->execute("ROLLBACK");
    } catch (...) {
      // The transaction is already gone (SQLite rolls back some errors itself).
    }
    throw;
  }
}

Json Store::stats() {
  auto row = connection()->query_one(
      "SELECT (SELECT COUNT(*) FROM agents) AS agents, "
      "(SELECT COUNT(*) FROM gigs WHERE status = 'active') AS gigs, "
      "(SELECT COUNT(*) FROM orders) AS orders");
  return row ? *row : Json::object();
}

// -------------------------------------------------------------------- Agents

std::string wallet_address_for(const std::string& agent_id) {
  return "0x" + sha256_hex(agent_id).substr(0, 40);
}

Registration Store::register_agent(const NewAgent& fields) {
  Registration result;
  std::string id = uuid_v4();
  result.api_key = "sk_" + random_hex(24);
  write([&](Connection& conn) {
    if (conn.query_one("SELECT 1 FROM agents WHERE owner_wallet = ?1", {fields.owner_wallet})) {
      result.wallet_taken = true;
      return;
    }
    conn.execute(
        "INSERT INTO agents (id, name, description, category, tags, avatar_url, owner_wallet, "
        "wallet_address, api_key_hash, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL)",
        {id, fields.name, fields.description, fields.category, fields.tags, fields.avatar_url, fields.owner_wallet,
         wallet_address_for(id), sha256_hex(result.api_key)});
  });
  if (result.wallet_taken) return result;
  result.agent = *this->agent(id);
  result.agent.erase("is_online");
  result.agent["api_key"] = result.api_key;
  return result;
}

std::optional<std::string> Store::agent_for_key(const std::string& api_key) {
  std::string hash = sha256_hex(api_key);
  {
    std::shared_lock lock(key_cache_mutex_);
    if (auto it = key_cache_.find(hash); it != key_cache_.end()) return it->second;
  }
  auto row = connection()->query_one("SELECT id FROM agents WHERE api_key_hash = ?1", {hash});
  if (!row) return std::nullopt;
  std::string id = (*row)["id"].get<std::string>();
  std::unique_lock lock(key_cache_mutex_);
  key_cache_.emplace(std::move(hash), id);
  return id;
}

std::optional<Json> Store::agent(const std::string& id) {
  auto row = connection()->query_one(std::string(kAgentSelect) + "WHERE a.id = ?1", {id});
  if (!row) return std::nullopt;
  return public_agent(std::move(*row));
}

bool Store::agent_exists(const std::string& id) {
  return connection()->query_one("SELECT 1 FROM agents WHERE id = ?1", {id}).has_value();
}

std::optional<std::string> Store::heartbeat(const std::string& id) {
  std::optional<std::string> last_seen;
  std::lock_guard writer(write_mutex_);
  auto row =
      connection()->query_one("UPDATE agents SET last_seen = datetime('now') WHERE id = ?1 RETURNING last_seen", {id});
  if (row) last_seen = (*row)["last_seen"].get<std::string>();
  return last_seen;
}

Json Store::list_agents(const AgentFilter& f) {
  std::string where = "WHERE 1=1";
  std::vector<Json> params;
  auto add = [&](const std::string& column_op, Json value) {
    params.push_back(std::move(value));
    where += " AND " + column_op + " ?" + std::to_string(params.size());
  };
  // Active agents by default, except when looking an agent up by its wallet;
  // "all" lifts the filter.
  if (!f.status.empty() && f.status != "all") {
    add("a.status =", f.status);
  } else if (f.status.empty() && f.owner_wallet.empty()) {
    where += " AND a.status = 'active'";
  }
  if (!f.category.empty()) add("a.category =", f.category);
  if (!f.owner_wallet.empty()) add("a.owner_wallet =", f.owner_wallet);
  if (!f.search.empty()) {
    std::string n = std::to_string(params.size() + 1);
    params.push_back(like_pattern(f.search));
    where += " AND (a.name LIKE ?" + n + " ESCAPE '\\' OR a.description LIKE ?" + n + " ESCAPE '\\')";
  }
  std::string order = "a.rating DESC, a.total_orders DESC, a.created_at DESC";
  if (f.sort == "newest")
    order = "a.created_at DESC";
  else if (f.sort == "orders" || f.sort == "popular")
    order = "a.total_orders DESC, a.rating DESC";
  else if (f.sort == "earnings")
    order = "a.earnings DESC";
  else if (f.sort == "name")
    order = "a.name COLLATE NOCASE ASC";
  std::size_t filter_params = params.size();
  std::string n = std::to_string(params.size() + 1), m = std::to_string(params.size() + 2);
  params.push_back(f.limit);
  params.push_back(f.offset);
  auto conn = connection();
  Json agents = Json::array();
  for (auto& row :
       conn->query(fmt::format("{}{} ORDER BY {}, a.rowid DESC LIMIT ?{} OFFSET ?{}", kAgentSelect, where, order, n, m),
                   params))
    agents.push_back(public_agent(std::move(row)));
  params.resize(filter_params);
  auto total = conn->query_one("SELECT COUNT(*) AS n FROM agents a " + where, params);
  return Json{{"agents", std::move(agents)}, {"total", total ? (*total)["n"] : Json(0)}};
}

std::vector<Json> Store::reviews_for(const std::string& agent_id, int limit) {
  return connection()->query(
      "SELECT r.*, a.name AS reviewer_name FROM reviews r LEFT JOIN agents a ON a.id = r.reviewer_id "
      "WHERE r.agent_id = ?1 ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?2",
      {agent_id, limit});
}

// ---------------------------------------------------------------------- Gigs

std::optional<Json> Store::gig(const std::string& id) {
  return connection()->query_one(
      "SELECT g.*, a.name AS agent_name, a.rating AS agent_rating FROM gigs g "
      "LEFT JOIN agents a ON a.id = g.agent_id WHERE g.id = ?1",
      {id});
}

std::vector<Json> Store::gigs_of(const std::string& agent_id, bool active_only) {
  return connection()->query(active_only ? "SELECT * FROM gigs WHERE agent_id = ?1 AND status = 'active' "
                                           "ORDER BY created_at DESC, rowid DESC"
                                         : "SELECT * FROM gigs WHERE agent_id = ?1 "
                                           "ORDER BY created_at DESC, rowid DESC",
                             {agent_id});
}

Json Store::list_gigs(const GigFilter& f) {
  std::string where = "WHERE g.status = 'active'";
  std::vector<Json> params;
  auto add = [&](const std::string& column_op, Json value) {
    params.push_back(std::move(value));
    where += " AND " + column_op + " ?" + std::to_string(params.size());
  };
  if (!f.agent_id.empty()) add("g.agent_id =", f.agent_id);
  if (!f.category.empty()) add("g.category =", f.category);
  if (!f.subcategory.empty()) add("g.subcategory =", f.subcategory);
  if (f.min_price) add("g.price_basic >=", *f.min_price);
  if (f.max_price) add("g.price_basic <=", *f.max_price);
  if (!f.search.empty()) {
    std::string n = std::to_string(params.size() + 1);
    params.push_back(like_pattern(f.search));
    where += " AND (g.title LIKE ?" + n + " ESCAPE '\\' OR g.description LIKE ?" + n + " ESCAPE '\\' OR g.tags LIKE ?" +
             n + " ESCAPE '\\')";
  }
  std::string order = "g.created_at DESC";
  if (f.sort == "price_low" || f.sort == "price_asc" || f.sort == "price")
    order = "g.price_basic ASC";
  else if (f.sort == "price_high" || f.sort == "price_desc")
    order = "g.price_basic DESC";
  else if (f.sort == "rating")
    order = "g.rating DESC";
  else if (f.sort == "popular" || f.sort == "orders")
    order = "g.total_orders DESC";
  std::size_t filter_params = params.size();
  std::string n = std::to_string(params.size() + 1), m = std::to_string(params.size() + 2);
  params.push_back(f.limit);
  params.push_back(f.offset);
  auto conn = connection();
  auto rows = conn->query(
      "SELECT g.*, a.name AS agent_name, a.rating AS agent_rating FROM gigs g "
      "LEFT JOIN agents a ON a.id = g.agent_id " +
          where + " ORDER BY " + order + ", g.rowid DESC LIMIT ?" + n + " OFFSET ?" + m,
      params);
  params.resize(filter_params);
  auto total = conn->query_one("SELECT COUNT(*) AS n FROM gigs g " + where, params);
  Json gigs = Json::array();
  for (auto& row : rows) gigs.push_back(std::move(row));
  return Json{{"gigs", std::move(gigs)}, {"total", total ? (*total)["n"] : Json(0)}};
}

Json Store::create_gig(const Json& fields) {
  std::string id = uuid_v4();
  std::string columns = "id", values = "?1";
  std::vector<Json> params{id};
  for (auto& [key, value] : fields.items()) {
    if (!gig_columns().count(key)) throw StoreError("unknown gig column " + key);
    params.push_back(value);
    columns += ", " + key;
    values += ", ?" + std::to_string(params.size());
  }
  write([&](Connection& conn) { conn.execute("INSERT INTO gigs (" + columns + ") VALUES (" + values + ")", params); });
  return *gig(id);
}

std::optional<Json> Store::update_gig(const std::string& id, const Json& fields) {
  std::string sets;
  std::vector<Json> params{id};
  for (auto& [key, value] : fields.items()) {
    if (!gig_columns().count(key) || key == "agent_id") throw StoreError("unknown gig column " + key);
    params.push_back(value);
    sets += key + " = ?" + std::to_string(params.size()) + ", ";
  }
  int changed = 0;
  write([&](Connection& conn) {
    changed = conn.execute("UPDATE gigs SET " + sets + "updated_at = datetime('now') WHERE id = ?1", params);
  });
  if (!changed) return std::nullopt;
  return gig(id);
}

// -------------------------------------------------------------------- Orders

std::string iso_deadline_from_now(double hours) {
  using namespace std::chrono;
  auto at = system_clock::now() + duration_cast<milliseconds>(duration<double, std::ratio<3600>>(hours));
  auto ms = duration_cast<milliseconds>(at.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return out;
}

std::optional<Json> Store::order(const std::string& id) {
  return connection()->query_one("SELECT * FROM orders WHERE id = ?1", {id});
}

std::optional<Json> Store::order_with_names(const std::string& id) {
  return connection()->query_one(std::string(kOrderWithNames) + "WHERE o.id = ?1", {id});
}

std::string Store::orders_sql(const OrderFilter& f, std::vector<Json>& params) {
  std::string where = "WHERE 1=1";
  if (!f.agent_id.empty()) {
    params.push_back(f.agent_id);
    if (f.role == "seller")
      where += " AND o.seller_id = ?1";
    else if (f.role == "buyer")
      where += " AND o.buyer_id = ?1";
    else
      where += " AND (o.seller_id = ?1 OR o.buyer_id = ?1)";
  }
  if (!f.statuses.empty()) {
    where += " AND o.status IN (";
    for (std::size_t i = 0; i < f.statuses.size(); ++i) {
      params.push_back(f.statuses[i]);
      where += (i ? ", ?" : "?") + std::to_string(params.size());
    }
    where += ")";
  }
  std::string n = std::to_string(params.size() + 1), m = std::to_string(params.size() + 2);
  params.push_back(f.limit);
  params.push_back(f.offset);
  return std::string(kOrderWithNames) + where + " ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?" + n + " OFFSET ?" +
         m;
}

std::vector<Json> Store::list_orders(const OrderFilter& f) {
  std::vector<Json> params;
  std::string sql = orders_sql(f, params);
  return connection()->query(sql, params);
}

std::string Store::list_orders_json(const OrderFilter& f) {
  std::vector<Json> params;
  std::string sql = orders_sql(f, params);
  std::string out;
  connection()->query_json(out, sql, params);
  return out;
}

OrderPlacement Store::place_order(const NewOrder& o) {
  OrderPlacement result{OrderPlacement::Outcome::Created, nullptr};
  std::string id = uuid_v4();
  write([&](Connection& conn) {
    auto gig = conn.query_one(
        "SELECT agent_id, status, price_basic, price_standard, price_premium, delivery_time_hours "
        "FROM gigs WHERE id = ?1",
        {o.gig_id});
    if (!gig || (*gig)["status"] != "active") {
      result.outcome = OrderPlacement::Outcome::GigNotFound;
      return;
    }
    if (!conn.query_one("SELECT 1 FROM agents WHERE id = ?1", {o.buyer_id})) {
      result.outcome = OrderPlacement::Outcome::BuyerNotFound;
      return;
    }
    std::string seller = (*gig)["agent_id"].get<std::string>();
    if (seller == o.buyer_id) {
      result.outcome = OrderPlacement::Outcome::OwnGig;
      return;
    }
    const Json& price = (*gig)["price_" + o.tier];
    if (!price.is_number()) {
      result.outcome = OrderPlacement::Outcome::TierUnavailable;
      return;
    }
    const Json& hours = (*gig)["delivery_time_hours"];
    double delivery_hours = hours.is_number() ? hours.get<double>() : 24.0;
    result.order = *conn.query_one(
        "INSERT INTO orders (id, gig_id, buyer_id, seller_id, tier, price, brief, input_data, status, "
        "deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9) RETURNING *",
        {id, o.gig_id, o.buyer_id, seller, o.tier, price, o.brief, o.input_data ? Json(*o.input_data) : Json(nullptr),
         iso_deadline_from_now(delivery_hours)});
    conn.execute("UPDATE agents SET total_orders = total_orders + 1 WHERE id = ?1", {seller});
    conn.execute("UPDATE gigs SET total_orders = total_orders + 1 WHERE id = ?1", {o.gig_id});
  });
  return result;
}

TransitionResult Store::transition(const std::string& order_id, const std::string& expected_from,
                                   const std::string& to) {
  TransitionResult result{TransitionResult::Outcome::Done, "", nullptr};
  write([&](Connection& conn) {
    auto row = conn.query_one(
        "UPDATE orders SET status = ?2, updated_at = datetime('now'), "
        "completed_at = CASE WHEN ?2 = 'completed' THEN datetime('now') ELSE completed_at END "
        "WHERE id = ?1 AND status = ?3 RETURNING *",
        {order_id, to, expected_from});
    if (!row) {
      auto current = conn.query_one("SELECT status FROM orders WHERE id = ?1", {order_id});
      result.outcome = current ? TransitionResult::Outcome::Invalid : TransitionResult::Outcome::NotFound;
      if (current) result.current_status = (*current)["status"].get<std::string>();
      return;
    }
    if (to == "completed")
      conn.execute(
          "UPDATE agents SET completed_orders = completed_orders + 1, earnings = earnings + ?2 "
          "WHERE id = ?1",
          {(*row)["seller_id"], (*row)["price"]});
    result.order = std::move(*row);
  });
  return result;
}

TransitionResult Store::deliver(const std::string& order_id, const std::string& delivery_data,
                                const std::string& delivery_hash) {
  TransitionResult result{TransitionResult::Outcome::Done, "", nullptr};
  write([&](Connection& conn) {
    auto row = conn.query_one(
        "UPDATE orders SET status = 'delivered', delivery_data = ?2, delivery_hash = ?3, "
        "delivered_at = datetime('now'), updated_at = datetime('now') "
        "WHERE id = ?1 AND status IN ('accepted', 'in_progress', 'revision_requested') RETURNING *",
        {order_id, delivery_data, delivery_hash});
    if (!row) {
      auto current = conn.query_one("SELECT status FROM orders WHERE id = ?1", {order_id});
      result.outcome = current ? TransitionResult::Outcome::Invalid : TransitionResult::Outcome::NotFound;
      if (current) result.current_status = (*current)["status"].get<std::string>();
      return;
    }
    result.order = std::move(*row);
  });
  return result;
}

// ------------------------------------------------------ Messages, categories

std::vector<Json> Store::messages(const std::string& order_id) {
  return connection()->query("SELECT * FROM messages WHERE order_id = ?1 ORDER BY created_at ASC, rowid ASC",
                             {order_id});
}

Json Store::add_message(const std::string& order_id, const std::string& sender_id, const std::string& content,
                        const std::string& message_type) {
  Json row;
  write([&](Connection& conn) {
    row = *conn.query_one(
        "INSERT INTO messages (id, order_id, sender_id, content, message_type) "
        "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING *",
        {uuid_v4(), order_id, sender_id, content, message_type});
  });
  return row;
}

std::vector<Json> Store::categories() {
  return connection()->query(
      "SELECT c.*, (SELECT COUNT(*) FROM gigs g WHERE g.status = 'active' AND "
      "g.category IN (c.slug, c.id)) AS gig_count FROM categories c ORDER BY c.rowid");
}

}  // namespace gigent::server
