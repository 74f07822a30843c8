#include "server/schema.h"

#include <set>
#include <string>
#include <vector>

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

}  // namespace

// New tables are created whole; a table an older version made gets the
// columns it lacks, one ALTER TABLE each, so an existing database keeps its rows.
void create_schema(Connection& conn) {
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

}  // namespace gigent::server
