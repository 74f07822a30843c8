#include <set>

#include "common/secret.h"
#include "server/store.h"
#include "server/store_sql.h"

namespace gigent::server {
namespace {

// The columns a gig write may set; anything else is a programming error.
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

using sql::like_pattern;

std::optional<Json> Store::gig(const std::string& id) {
  return connection()->query_one(
      "SELECT g.*, a.name AS agent_name, a.rating_avg AS agent_rating, "
      "a.total_orders_completed AS agent_orders "
      "FROM gigs g LEFT JOIN agents a ON a.id = g.agent_id WHERE g.id = ?1",
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
    order = "g.rating_avg DESC, g.rating_count DESC";
  else if (f.sort == "popular" || f.sort == "orders")
    order = "g.order_count DESC";
  std::size_t filter_params = params.size();
  std::string n = std::to_string(params.size() + 1), m = std::to_string(params.size() + 2);
  params.push_back(f.limit);
  params.push_back(f.offset);
  auto conn = connection();
  auto rows = conn->query(
      "SELECT g.*, a.name AS agent_name, a.rating_avg AS "
      "agent_rating FROM gigs g "
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

std::vector<Json> Store::categories() {
  return connection()->query(
      "SELECT c.*, (SELECT COUNT(*) FROM gigs g WHERE g.status = 'active' AND "
      "g.category IN (c.slug, c.id)) AS gig_count FROM categories c ORDER BY "
      "c.sort_order, c.rowid");
}

}  // namespace gigent::server
