#include "server/schema.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "server/migrate.h"

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
  // Column names, types and defaults are the deployed service's (GIGENT_API.md,
  // "Row shapes"): its clients read these rows as they are.
  static const std::vector<Table> tables{
      {"agents",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"name", "TEXT NOT NULL", "TEXT"},
        {"description", "TEXT", "TEXT"},
        {"category", "TEXT NOT NULL DEFAULT 'general'", "TEXT NOT NULL DEFAULT 'general'"},
        {"tags", "TEXT DEFAULT '[]'", "TEXT DEFAULT '[]'"},
        {"avatar_url", "TEXT", "TEXT"},
        {"owner_wallet", "TEXT COLLATE NOCASE", "TEXT COLLATE NOCASE"},
        {"wallet_address", "TEXT", "TEXT"},
        {"api_key_hash", "TEXT", "TEXT"},
        {"status", "TEXT NOT NULL DEFAULT 'active'", "TEXT NOT NULL DEFAULT 'active'"},
        {"rating_avg", "REAL DEFAULT 0", "REAL DEFAULT 0"},
        {"rating_count", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"total_earnings", "REAL DEFAULT 0", "REAL DEFAULT 0"},
        {"total_orders_completed", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"response_time_avg", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"account_type", "TEXT NOT NULL DEFAULT 'smart_account'", "TEXT NOT NULL DEFAULT 'smart_account'"},
        {"safe_deployed", "INTEGER NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
        {"owner_added_on_chain", "INTEGER NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
        {"last_seen", "TEXT", "TEXT"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"},
        {"updated_at", "TEXT DEFAULT (datetime('now'))", "TEXT"}}},
      {"gigs",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"agent_id", "TEXT NOT NULL REFERENCES agents(id)", "TEXT"},
        {"title", "TEXT NOT NULL", "TEXT"},
        {"description", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"category", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"subcategory", "TEXT", "TEXT"},
        {"tags", "TEXT DEFAULT '[]'", "TEXT DEFAULT '[]'"},
        {"price_basic", "REAL NOT NULL", "REAL"},
        {"desc_basic", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"price_standard", "REAL", "REAL"},
        {"desc_standard", "TEXT", "TEXT"},
        {"price_premium", "REAL", "REAL"},
        {"desc_premium", "TEXT", "TEXT"},
        {"delivery_time_hours", "INTEGER DEFAULT 1", "INTEGER DEFAULT 1"},
        {"max_revisions", "INTEGER DEFAULT 1", "INTEGER DEFAULT 1"},
        {"example_input", "TEXT", "TEXT"},
        {"example_output", "TEXT", "TEXT"},
        {"api_schema", "TEXT", "TEXT"},
        {"status", "TEXT DEFAULT 'active'", "TEXT DEFAULT 'active'"},
        {"order_count", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"rating_avg", "REAL DEFAULT 0", "REAL DEFAULT 0"},
        {"rating_count", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
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
        {"revisions_used", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"},
        {"max_revisions", "INTEGER DEFAULT 1", "INTEGER DEFAULT 1"},
        {"escrow_tx_hash", "TEXT", "TEXT"},
        {"release_tx_hash", "TEXT", "TEXT"},
        {"on_chain_job_id", "TEXT", "TEXT"},
        {"accepted_at", "TEXT", "TEXT"},
        {"delivered_at", "TEXT", "TEXT"},
        {"completed_at", "TEXT", "TEXT"},
        {"cancelled_at", "TEXT", "TEXT"},
        {"deadline", "TEXT", "TEXT"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"},
        {"updated_at", "TEXT DEFAULT (datetime('now'))", "TEXT"}}},
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
        {"icon", "TEXT DEFAULT ''", "TEXT DEFAULT ''"},
        {"parent_id", "TEXT REFERENCES categories(id)", "TEXT"},
        {"sort_order", "INTEGER DEFAULT 0", "INTEGER DEFAULT 0"}}},
      {"reviews",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"order_id", "TEXT UNIQUE REFERENCES orders(id)", "TEXT"},
        {"reviewer_id", "TEXT REFERENCES agents(id)", "TEXT"},
        {"reviewed_id", "TEXT REFERENCES agents(id)", "TEXT"},
        {"gig_id", "TEXT REFERENCES gigs(id)", "TEXT"},
        {"rating", "INTEGER", "INTEGER"},
        {"comment", "TEXT", "TEXT"},
        {"quality_rating", "INTEGER", "INTEGER"},
        {"speed_rating", "INTEGER", "INTEGER"},
        {"value_rating", "INTEGER", "INTEGER"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"}}},
      {"work_submissions",
       {{"id", "TEXT PRIMARY KEY", "TEXT"},
        {"sender_id", "TEXT NOT NULL REFERENCES agents(id)", "TEXT"},
        {"receiver_id", "TEXT NOT NULL REFERENCES agents(id)", "TEXT"},
        {"order_id", "TEXT REFERENCES orders(id)", "TEXT"},
        {"title", "TEXT NOT NULL", "TEXT"},
        {"description", "TEXT", "TEXT"},
        {"payload", "TEXT", "TEXT"},
        {"payload_type", "TEXT DEFAULT 'text'", "TEXT DEFAULT 'text'"},
        {"status", "TEXT NOT NULL DEFAULT 'pending'", "TEXT NOT NULL DEFAULT 'pending'"},
        {"score", "INTEGER", "INTEGER"},
        {"score_comment", "TEXT", "TEXT"},
        {"feedback_tx_hash", "TEXT", "TEXT"},
        {"created_at", "TEXT DEFAULT (datetime('now'))", "TEXT"},
        {"reviewed_at", "TEXT", "TEXT"},
        {"updated_at", "TEXT DEFAULT (datetime('now'))", "TEXT"}}},
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
CREATE UNIQUE INDEX IF NOT EXISTS idx_reviews_order ON reviews(order_id);
CREATE INDEX IF NOT EXISTS idx_reviews_reviewed ON reviews(reviewed_id, created_at);
CREATE INDEX IF NOT EXISTS idx_reviews_gig ON reviews(gig_id, created_at);
CREATE INDEX IF NOT EXISTS idx_ws_sender ON work_submissions(sender_id, created_at);
CREATE INDEX IF NOT EXISTS idx_ws_receiver ON work_submissions(receiver_id, status, created_at);
CREATE INDEX IF NOT EXISTS idx_ws_order ON work_submissions(order_id);
)sql";

// The deployed service's categories. Upserted, so that a database seeded by an
// older version shows the same names as the deployed front end expects.
constexpr const char* kCategories = R"sql(
INSERT INTO categories (id, name, slug, description, icon, parent_id, sort_order) VALUES
 ('cat_data', 'Data & Analysis', 'data', 'Data processing, analysis, insights, CSV/JSON handling', '📊', NULL, 1),
 ('cat_code', 'Code & Development', 'code', 'Code generation, review, debugging, automation scripts', '💻', NULL, 2),
 ('cat_writing', 'Writing & Content', 'writing', 'Text generation, copywriting, summaries, translations', '✍️', NULL, 3),
 ('cat_creative', 'Creative & Design', 'creative', 'Image generation, design, audio, creative work', '🎨', NULL, 4),
 ('cat_research', 'Research & Intelligence', 'research', 'Web research, market intelligence, fact-checking', '🔍', NULL, 5),
 ('cat_finance', 'Finance & Trading', 'finance', 'Market data, portfolio analysis, DeFi operations', '💰', NULL, 6),
 ('cat_automation', 'Automation & Integration', 'automation', 'API integrations, workflow automation, monitoring', '⚙️', NULL, 7),
 ('cat_ai', 'AI & ML Services', 'ai', 'Model training, fine-tuning, inference, embeddings', '🤖', NULL, 8)
ON CONFLICT(id) DO UPDATE SET name = excluded.name, slug = excluded.slug, description = excluded.description,
 icon = excluded.icon, sort_order = excluded.sort_order;
)sql";

// The version this build writes. 1: every database before schema_version
// existed (its shape is told by the columns, see migrate.h); 2: adds
// schema_version itself.
constexpr int kSchemaVersion = 2;

// The recorded version, 1 when there is no schema_version table yet. A
// database written by a newer server is refused rather than half understood.
void check_version(Connection& conn, bool table_exists) {
  if (!table_exists) return;
  auto row = conn.query_one("SELECT MAX(version) AS v FROM schema_version");
  if (row && (*row)["v"].is_number() && (*row)["v"].get<int>() > kSchemaVersion)
    throw StoreError(fmt::format("the database has schema version {}, newer than this gigent-server's {}",
                                 (*row)["v"].get<int>(), kSchemaVersion));
}

void record_version(Connection& conn) {
  conn.exec_script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  conn.exec_script(
      fmt::format("DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ({})", kSchemaVersion));
}

// A column declaration in PostgreSQL's words: REAL is single precision there
// (SQLite's is double), text compares byte by byte as in SQLite ("C"), and
// NOCASE is a case-insensitive ICU collation made below.
std::string pg_decl(std::string decl) {
  auto replace_head = [&](const std::string& from, const std::string& to) {
    if (decl.rfind(from, 0) == 0) decl = to + decl.substr(from.size());
  };
  if (decl.find("COLLATE NOCASE") != std::string::npos) {
    decl.erase(decl.find(" COLLATE NOCASE"), 15);
    replace_head("TEXT", "TEXT COLLATE nocase");
  } else {
    replace_head("TEXT", "TEXT COLLATE \"C\"");
  }
  replace_head("REAL", "DOUBLE PRECISION");
  replace_head("INTEGER", "BIGINT");
  return decl;
}

// SQLite's datetime('now'[, modifier]) as the queries use it, same text
// ("YYYY-MM-DD HH:MM:SS", UTC), so timestamps read alike on both databases.
constexpr const char* kPgPrelude = R"sql(
CREATE OR REPLACE FUNCTION datetime(t text, modifier text DEFAULT '0 seconds') RETURNS text
  LANGUAGE sql STABLE AS
  $$ SELECT to_char((CASE WHEN t = 'now' THEN now() ELSE t::timestamptz END AT TIME ZONE 'UTC')
                    + modifier::interval, 'YYYY-MM-DD HH24:MI:SS') $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'nocase') THEN
    CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
  END IF;
END $$;
)sql";

}  // namespace

// New tables are created whole; a table an older version made gets the
// columns it lacks, one ALTER TABLE each, so an existing database keeps its
// rows. What ADD COLUMN cannot fix (renamed columns, a dropped UNIQUE) is
// migrated around it (server/migrate.h). One transaction: a failed start
// leaves the file as it was. Foreign keys are off meanwhile, since a rebuilt
// table is briefly absent.
void create_schema(Connection& conn) {
  conn.exec_script("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE;");
  try {
    check_version(conn, !conn.query("PRAGMA table_info(schema_version)").empty());
    MigrationPlan plan = prepare_migration(conn);
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
        conn.exec_script(std::string("ALTER TABLE ") + table.name + " ADD COLUMN " + column.name + " " +
                         column.add_decl);
      }
    }
    finish_migration(conn, plan);
    conn.exec_script(kIndexes);
    conn.exec_script(kCategories);
    record_version(conn);
    conn.exec_script("COMMIT; PRAGMA foreign_keys = ON;");
  } catch (...) {
    try {
      conn.exec_script("ROLLBACK");
    } catch (...) {
      // Already rolled back by SQLite.
    }
    conn.exec_script("PRAGMA foreign_keys = ON");
    throw;
  }
}

// The same tables on PostgreSQL, plus a `rowid` column each (BIGSERIAL, left
// out of the rows by PgConnection) where the queries break created_at ties
// by SQLite's rowid. There is no older PostgreSQL layout to convert yet; a
// table lacking a column gets it, as on SQLite. The caller holds the schema
// advisory lock.
void create_pg_schema(Connection& conn) {
  conn.exec_script("BEGIN");
  try {
    conn.exec_script(kPgPrelude);
    bool versioned = !conn.query(
                              "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                              "AND table_name = 'schema_version'")
                          .empty();
    check_version(conn, versioned);
    for (const auto& table : schema()) {
      std::string sql = fmt::format("CREATE TABLE IF NOT EXISTS {} (", table.name);
      for (const auto& column : table.columns) sql += fmt::format("{} {}, ", column.name, pg_decl(column.create_decl));
      sql += "rowid BIGSERIAL)";
      conn.exec_script(sql);
      for (const auto& column : table.columns)
        conn.exec_script(fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}", table.name, column.name,
                                     pg_decl(column.add_decl)));
      conn.exec_script(fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS rowid BIGSERIAL", table.name));
    }
    conn.exec_script(kIndexes);
    conn.exec_script(kCategories);
    record_version(conn);
    conn.exec_script("COMMIT");
  } catch (...) {
    try {
      conn.exec_script("ROLLBACK");
    } catch (...) {
      // The connection is gone; the server rolled back.
    }
    throw;
  }
}

}  // namespace gigent::server
