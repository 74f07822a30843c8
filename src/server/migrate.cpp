#include "server/migrate.h"

#include <set>
#include <string>
#include <vector>

namespace gigent::server {
namespace {

std::set<std::string> columns_of(Connection& conn, const std::string& table) {
  std::set<std::string> out;
  for (auto& row : conn.query("PRAGMA table_info(" + table + ")")) out.insert(row["name"].get<std::string>());
  return out;
}

// True when a UNIQUE constraint (not an index we made) covers exactly `column`.
bool unique_constraint_on(Connection& conn, const std::string& table, const std::string& column) {
  for (auto& index : conn.query("PRAGMA index_list(" + table + ")")) {
    if (index["unique"] != 1 || index["origin"] != "u") continue;
    auto cols = conn.query("PRAGMA index_info(" + index["name"].get<std::string>() + ")");
    if (cols.size() == 1 && cols[0]["name"] == column) return true;
  }
  return false;
}

}  // namespace

MigrationPlan prepare_migration(Connection& conn) {
  MigrationPlan plan;
  auto agents = columns_of(conn, "agents");
  if (!agents.empty() && (agents.count("rating") || agents.count("earnings") || agents.count("completed_orders") ||
                          unique_constraint_on(conn, "agents", "owner_wallet"))) {
    // A rename that leaves the gigs/orders references naming "agents", which
    // is the table created next.
    conn.exec_script(
        "PRAGMA legacy_alter_table = ON; ALTER TABLE agents RENAME TO agents_previous; "
        "PRAGMA legacy_alter_table = OFF;");
    for (const char* index : {"idx_agents_owner_wallet", "idx_agents_api_key_hash"})
      conn.exec_script(std::string("DROP INDEX IF EXISTS ") + index);
    plan.agents_rebuilt = true;
    plan.empty_to_null = true;
  }
  auto gigs = columns_of(conn, "gigs");
  if (gigs.count("rating") && !gigs.count("rating_avg"))
    conn.exec_script("ALTER TABLE gigs RENAME COLUMN rating TO rating_avg");
  if (gigs.count("total_orders")) {
    plan.gig_counters = true;
    plan.empty_to_null = true;
  }
  auto reviews = columns_of(conn, "reviews");
  if (reviews.count("agent_id") && !reviews.count("reviewed_id")) {
    conn.exec_script("ALTER TABLE reviews RENAME COLUMN agent_id TO reviewed_id");
    plan.review_links = true;
  }
  if (!reviews.empty() && !reviews.count("gig_id")) plan.review_links = true;
  return plan;
}

void finish_migration(Connection& conn, const MigrationPlan& plan) {
  if (plan.agents_rebuilt) {
    // Column by column: older files lack some of the previous columns too.
    auto previous = columns_of(conn, "agents_previous");
    struct Copy {
      const char* target;
      const char* source;  // the previous column; the copy is skipped when it is missing
      const char* expr;
    };
    const std::vector<Copy> copy{
        {"id", "id", "id"},
        {"name", "name", "name"},
        {"description", "description", "NULLIF(description, '')"},
        {"category", "category", "COALESCE(NULLIF(category, ''), 'general')"},
        {"tags", "tags", "tags"},
        {"avatar_url", "avatar_url", "NULLIF(avatar_url, '')"},
        {"owner_wallet", "owner_wallet", "owner_wallet"},
        {"wallet_address", "wallet_address", "wallet_address"},
        {"api_key_hash", "api_key_hash", "api_key_hash"},
        {"status", "status", "COALESCE(status, 'active')"},
        {"rating_avg", "rating", "rating"},
        {"total_orders_completed", "completed_orders", "completed_orders"},
        {"total_earnings", "earnings", "earnings"},
        {"created_at", "created_at", "created_at"},
        {"updated_at", "created_at", "created_at"},
        {"last_seen", "last_seen", "last_seen"},
    };
    std::string into, from;
    for (const auto& c : copy) {
      if (!previous.count(c.source)) continue;
      into += (into.empty() ? "" : ", ") + std::string(c.target);
      from += (from.empty() ? "" : ", ") + std::string(c.expr);
    }
    conn.exec_script("INSERT INTO agents (" + into + ") SELECT " + from + " FROM agents_previous");
    conn.exec_script("DROP TABLE agents_previous");
  }
  if (plan.review_links)
    conn.exec_script(
        "UPDATE reviews SET gig_id = (SELECT o.gig_id FROM orders o WHERE o.id = reviews.order_id) "
        "WHERE gig_id IS NULL");
  if (plan.agents_rebuilt || plan.review_links)
    conn.exec_script(
        "UPDATE agents SET rating_count = (SELECT COUNT(*) FROM reviews r WHERE r.reviewed_id = agents.id), "
        "rating_avg = COALESCE((SELECT AVG(r.rating) FROM reviews r WHERE r.reviewed_id = agents.id), rating_avg)");
  if (plan.gig_counters) {
    conn.exec_script(
        "UPDATE gigs SET order_count = (SELECT COUNT(*) FROM orders o WHERE o.gig_id = gigs.id AND "
        "o.status = 'completed'), rating_count = (SELECT COUNT(*) FROM reviews r WHERE r.gig_id = gigs.id), "
        "rating_avg = COALESCE((SELECT AVG(r.rating) FROM reviews r WHERE r.gig_id = gigs.id), rating_avg)");
    conn.exec_script("ALTER TABLE gigs DROP COLUMN total_orders");
  }
  if (plan.empty_to_null) {
    conn.exec_script(
        "UPDATE gigs SET subcategory = NULLIF(subcategory, ''), desc_standard = NULLIF(desc_standard, ''), "
        "desc_premium = NULLIF(desc_premium, ''), example_input = NULLIF(example_input, ''), "
        "example_output = NULLIF(example_output, '')");
  }
}

}  // namespace gigent::server
