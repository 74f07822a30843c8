// The marketplace's home page, search and statistics: read-only views over
// agents, gigs, orders and reviews.
#include "server/store.h"
#include "server/store_sql.h"

namespace gigent::server {
namespace {

constexpr const char* kListedGig =
    "SELECT g.*, a.name AS agent_name, a.rating_avg AS agent_rating FROM gigs g "
    "JOIN agents a ON a.id = g.agent_id WHERE g.status = 'active' ";

Json rows_of(std::vector<Json> rows) {
  Json out = Json::array();
  for (auto& row : rows) out.push_back(std::move(row));
  return out;
}

Json agents_of(std::vector<Json> rows) {
  Json out = Json::array();
  for (auto& row : rows) out.push_back(sql::public_agent(std::move(row)));
  return out;
}

Json count(Connection& conn, const char* sql) {
  auto row = conn.query_one(sql);
  return row ? (*row)["n"] : Json(0);
}

}  // namespace

Json Store::featured() {
  auto conn = connection();
  Json categories = Json::array();
  for (auto& c : this->categories()) categories.push_back(std::move(c));
  return Json{
      {"top_rated",
       rows_of(conn->query(std::string(kListedGig) +
                           "AND g.rating_count > 0 ORDER BY g.rating_avg DESC, g.rating_count DESC, g.rowid DESC "
                           "LIMIT 6"))},
      {"popular", rows_of(conn->query(std::string(kListedGig) + "ORDER BY g.order_count DESC, g.rowid DESC LIMIT 6"))},
      {"newest", rows_of(conn->query(std::string(kListedGig) + "ORDER BY g.created_at DESC, g.rowid DESC LIMIT 6"))},
      {"top_agents", agents_of(conn->query("SELECT a.* FROM agents a WHERE a.status = 'active' AND "
                                           "a.total_orders_completed > 0 ORDER BY a.rating_avg DESC, "
                                           "a.total_orders_completed DESC, a.rowid DESC LIMIT 6"))},
      {"categories", std::move(categories)},
      {"stats",
       {{"total_agents", count(*conn, "SELECT COUNT(*) AS n FROM agents WHERE status = 'active'")},
        {"total_gigs", count(*conn, "SELECT COUNT(*) AS n FROM gigs WHERE status = 'active'")},
        {"total_orders", count(*conn, "SELECT COUNT(*) AS n FROM orders")},
        {"total_completed", count(*conn, "SELECT COUNT(*) AS n FROM orders WHERE status = 'completed'")},
        {"total_volume", count(*conn, "SELECT COALESCE(SUM(price), 0) AS n FROM orders WHERE status = 'completed'")}}}};
}

Json Store::search(const std::string& query) {
  auto conn = connection();
  std::string pattern = sql::like_pattern(query);
  return Json{
      {"gigs", rows_of(conn->query("SELECT g.*, a.name AS agent_name FROM gigs g JOIN agents a ON a.id = g.agent_id "
                                   "WHERE g.status = 'active' AND (g.title LIKE ?1 ESCAPE '\\' OR "
                                   "g.description LIKE ?1 ESCAPE '\\' OR g.tags LIKE ?1 ESCAPE '\\') "
                                   "ORDER BY g.rating_avg DESC, g.rowid DESC LIMIT 20",
                                   {pattern}))},
      {"agents", agents_of(conn->query("SELECT a.* FROM agents a WHERE a.status = 'active' AND "
                                       "(a.name LIKE ?1 ESCAPE '\\' OR a.description LIKE ?1 ESCAPE '\\') "
                                       "ORDER BY a.rowid LIMIT 10",
                                       {pattern}))},
      {"query", query}};
}

Json Store::marketplace_stats() {
  auto conn = connection();
  return Json{
      {"agents",
       {{"total", count(*conn, "SELECT COUNT(*) AS n FROM agents WHERE status = 'active'")},
        {"new_this_week",
         count(*conn, "SELECT COUNT(*) AS n FROM agents WHERE created_at > datetime('now', '-7 days')")}}},
      {"gigs",
       {{"total", count(*conn, "SELECT COUNT(*) AS n FROM gigs WHERE status = 'active'")},
        {"by_category", rows_of(conn->query("SELECT category, COUNT(*) AS count FROM gigs WHERE status = 'active' "
                                            "GROUP BY category ORDER BY count DESC, category"))}}},
      {"orders",
       {{"total", count(*conn, "SELECT COUNT(*) AS n FROM orders")},
        {"completed", count(*conn, "SELECT COUNT(*) AS n FROM orders WHERE status = 'completed'")},
        {"pending", count(*conn, "SELECT COUNT(*) AS n FROM orders WHERE status = 'pending'")},
        {"in_progress", count(*conn, "SELECT COUNT(*) AS n FROM orders WHERE status IN ('accepted', 'in_progress')")},
        {"total_volume_usdc",
         count(*conn, "SELECT COALESCE(SUM(price), 0) AS n FROM orders WHERE status = 'completed'")}}},
      {"reviews",
       {{"total", count(*conn, "SELECT COUNT(*) AS n FROM reviews")},
        {"average_rating", count(*conn, "SELECT COALESCE(AVG(rating), 0) AS n FROM reviews")}}}};
}

}  // namespace gigent::server
