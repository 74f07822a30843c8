#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>

#include <fmt/format.h>

#include "common/secret.h"
#include "common/time_format.h"
#include "server/store.h"
#include "server/store_sql.h"

namespace gigent::server {

using sql::kOrderWithNames;

std::string iso_deadline_from_now(double hours) {
  using namespace std::chrono;
  const auto at = system_clock::now() + duration_cast<milliseconds>(duration<double, std::ratio<3600>>(hours));
  return iso8601_millis(time_point_cast<milliseconds>(at));
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
  // A negative limit means every row: SQLite reads it so, PostgreSQL refuses it.
  params.push_back(f.limit < 0 ? Json(std::numeric_limits<std::int64_t>::max()) : Json(f.limit));
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

std::unordered_map<std::string, std::int64_t> Store::order_counts(const std::vector<std::string>& agent_ids,
                                                                  const std::string& side,
                                                                  const std::vector<std::string>& statuses) {
  std::unordered_map<std::string, std::int64_t> counts;
  if (agent_ids.empty() || statuses.empty()) return counts;
  const std::string column = side == "buyer" ? "buyer_id" : "seller_id";
  auto conn = connection();
  for (std::size_t first = 0; first < agent_ids.size(); first += sql::kMaxInList) {
    std::vector<std::string> chunk(
        agent_ids.begin() + static_cast<std::ptrdiff_t>(first),
        agent_ids.begin() + static_cast<std::ptrdiff_t>(std::min(agent_ids.size(), first + sql::kMaxInList)));
    std::vector<Json> params;
    std::string query = fmt::format("SELECT {0} AS agent_id, COUNT(*) AS n FROM orders WHERE {0} IN (", column);
    sql::in_list(query, params, chunk);
    query += ") AND status IN (";
    sql::in_list(query, params, statuses);
    query += ") GROUP BY " + column;
    for (auto& row : conn->query(query, params))
      counts[row["agent_id"].get<std::string>()] = row["n"].get<std::int64_t>();
  }
  return counts;
}

OrderPlacement Store::place_order(const NewOrder& o) {
  OrderPlacement result{OrderPlacement::Outcome::Created, nullptr};
  std::string id = uuid_v4();
  write([&](Connection& conn) {
    auto gig = conn.query_one(
        "SELECT agent_id, status, price_basic, price_standard, "
        "price_premium, delivery_time_hours, max_revisions "
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
    double delivery_hours = hours.is_number() ? hours.get<double>() : 1.0;
    const Json& revisions = (*gig)["max_revisions"];
    // The order keeps the revisions the gig offered when it was placed.
    result.order = *conn.query_one(
        "INSERT INTO orders (id, gig_id, buyer_id, seller_id, tier, price, "
        "brief, input_data, status, "
        "deadline, max_revisions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "'pending', ?9, ?10) RETURNING *",
        {id, o.gig_id, o.buyer_id, seller, o.tier, price, o.brief, o.input_data ? Json(*o.input_data) : Json(nullptr),
         iso_deadline_from_now(delivery_hours), revisions.is_number() ? revisions : Json(1)});
  });
  return result;
}

TransitionResult Store::transition(const std::string& order_id, const std::string& expected_from,
                                   const std::string& to) {
  TransitionResult result{TransitionResult::Outcome::Done, "", nullptr};
  write([&](Connection& conn) {
    // A revision is refused once the order's allowance is used; checked in
    // the UPDATE itself so two racing requests cannot both spend the last one.
    const bool revision = to == "revision_requested";
    auto row = conn.query_one(
        "UPDATE orders SET status = ?2, updated_at = datetime('now'), "
        "accepted_at = CASE WHEN ?2 = 'accepted' THEN datetime('now') ELSE "
        "accepted_at END, "
        "delivered_at = CASE WHEN ?2 = 'delivered' THEN datetime('now') ELSE "
        "delivered_at END, "
        "completed_at = CASE WHEN ?2 = 'completed' THEN datetime('now') ELSE "
        "completed_at END, "
        "cancelled_at = CASE WHEN ?2 = 'cancelled' THEN datetime('now') ELSE "
        "cancelled_at END, "
        "revisions_used = revisions_used + CASE WHEN ?2 = 'revision_requested' THEN 1 ELSE 0 END "
        "WHERE id = ?1 AND status = ?3 AND (?2 <> 'revision_requested' OR "
        "COALESCE(revisions_used, 0) < COALESCE(max_revisions, 1)) RETURNING *",
        {order_id, to, expected_from});
    if (!row) {
      auto current = conn.query_one(
          "SELECT status, revisions_used, "
          "max_revisions FROM orders WHERE id = ?1",
          {order_id});
      result.outcome = current ? TransitionResult::Outcome::Invalid : TransitionResult::Outcome::NotFound;
      if (current) {
        result.current_status = (*current)["status"].get<std::string>();
        if (revision && result.current_status == expected_from) {
          result.outcome = TransitionResult::Outcome::RevisionsUsedUp;
          result.order = std::move(*current);
        }
      }
      return;
    }
    if (to == "completed") {
      conn.execute(
          "UPDATE agents SET total_orders_completed = "
          "total_orders_completed + 1, "
          "total_earnings = total_earnings + ?2, updated_at = "
          "datetime('now') WHERE id = ?1",
          {(*row)["seller_id"], (*row)["price"]});
      conn.execute("UPDATE gigs SET order_count = order_count + 1 WHERE id = ?1", {(*row)["gig_id"]});
    }
    result.order = std::move(*row);
  });
  return result;
}

TransitionResult Store::deliver(const std::string& order_id, const std::string& delivery_data,
                                const std::string& delivery_hash) {
  TransitionResult result{TransitionResult::Outcome::Done, "", nullptr};
  write([&](Connection& conn) {
    auto row = conn.query_one(
        "UPDATE orders SET status = 'delivered', delivery_data = ?2, "
        "delivery_hash = ?3, "
        "delivered_at = datetime('now'), updated_at = datetime('now') "
        "WHERE id = ?1 AND status IN ('accepted', 'in_progress', "
        "'revision_requested') RETURNING *",
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

}  // namespace gigent::server
