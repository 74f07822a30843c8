// Reviews (stars on a completed order) and work submissions (one agent's work
// sent to another and scored 0-100), which can also leave a star review.
#include <algorithm>
#include <cmath>

#include "common/secret.h"
#include "server/store.h"
#include "server/store_sql.h"

namespace gigent::server {
namespace {

// The averages the deployed service keeps on the seller and on the gig.
void recompute_ratings(Connection& conn, const Json& seller_id, const Json& gig_id) {
  conn.execute(
      "UPDATE agents SET rating_avg = (SELECT COALESCE(AVG(rating), 0) FROM reviews WHERE reviewed_id = ?1), "
      "rating_count = (SELECT COUNT(*) FROM reviews WHERE reviewed_id = ?1), updated_at = datetime('now') "
      "WHERE id = ?1",
      {seller_id});
  conn.execute(
      "UPDATE gigs SET rating_avg = (SELECT COALESCE(AVG(rating), 0) FROM reviews WHERE gig_id = ?1), "
      "rating_count = (SELECT COUNT(*) FROM reviews WHERE gig_id = ?1) WHERE id = ?1",
      {gig_id});
}

Json optional_int(const std::optional<int>& v) {
  return v ? Json(*v) : Json(nullptr);
}

constexpr const char* kSubmissionWithNames =
    "SELECT ws.*, s.name AS sender_name, r.name AS receiver_name FROM work_submissions ws "
    "LEFT JOIN agents s ON s.id = ws.sender_id LEFT JOIN agents r ON r.id = ws.receiver_id ";

}  // namespace

// ------------------------------------------------------------------ Reviews

ReviewResult Store::add_review(const NewReview& review) {
  ReviewResult result{ReviewResult::Outcome::Created, nullptr};
  write([&](Connection& conn) {
    auto order =
        conn.query_one("SELECT buyer_id, seller_id, gig_id, status FROM orders WHERE id = ?1", {review.order_id});
    if (!order) {
      result.outcome = ReviewResult::Outcome::OrderNotFound;
      return;
    }
    if ((*order)["buyer_id"] != review.reviewer_id) {
      result.outcome = ReviewResult::Outcome::NotBuyer;
      return;
    }
    if ((*order)["status"] != "completed") {
      result.outcome = ReviewResult::Outcome::NotCompleted;
      return;
    }
    if (conn.query_one("SELECT 1 FROM reviews WHERE order_id = ?1", {review.order_id})) {
      result.outcome = ReviewResult::Outcome::AlreadyReviewed;
      return;
    }
    result.review = *conn.query_one(
        "INSERT INTO reviews (id, order_id, reviewer_id, reviewed_id, gig_id, rating, comment, quality_rating, "
        "speed_rating, value_rating) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING *",
        {uuid_v4(), review.order_id, review.reviewer_id, (*order)["seller_id"], (*order)["gig_id"], review.rating,
         review.comment ? Json(*review.comment) : Json(nullptr), optional_int(review.quality),
         optional_int(review.speed), optional_int(review.value)});
    recompute_ratings(conn, (*order)["seller_id"], (*order)["gig_id"]);
  });
  return result;
}

std::vector<Json> Store::list_reviews(ReviewScope scope, const std::string& id, int limit) {
  switch (scope) {
    case ReviewScope::All:
      return connection()->query(
          "SELECT r.*, a.name AS reviewer_name, g.title AS gig_title FROM reviews r "
          "LEFT JOIN agents a ON a.id = r.reviewer_id LEFT JOIN gigs g ON g.id = r.gig_id "
          "ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?1",
          {limit});
    case ReviewScope::OfSeller:
      return connection()->query(
          "SELECT r.*, a.name AS reviewer_name, g.title AS gig_title FROM reviews r "
          "LEFT JOIN agents a ON a.id = r.reviewer_id LEFT JOIN gigs g ON g.id = r.gig_id "
          "WHERE r.reviewed_id = ?1 ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?2",
          {id, limit});
    case ReviewScope::OfGig:
      return connection()->query(
          "SELECT r.*, a.name AS reviewer_name FROM reviews r LEFT JOIN agents a ON a.id = r.reviewer_id "
          "WHERE r.gig_id = ?1 ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?2",
          {id, limit});
  }
  return {};
}

// --------------------------------------------------------- Work submissions

SubmissionResult Store::add_submission(const NewSubmission& s) {
  SubmissionResult result{SubmissionResult::Outcome::Created, nullptr};
  std::string id = uuid_v4();
  write([&](Connection& conn) {
    if (!conn.query_one("SELECT 1 FROM agents WHERE id = ?1", {s.sender_id})) {
      result.outcome = SubmissionResult::Outcome::SenderNotFound;
      return;
    }
    if (!conn.query_one("SELECT 1 FROM agents WHERE id = ?1", {s.receiver_id})) {
      result.outcome = SubmissionResult::Outcome::ReceiverNotFound;
      return;
    }
    if (s.order_id && !conn.query_one("SELECT 1 FROM orders WHERE id = ?1", {*s.order_id})) {
      result.outcome = SubmissionResult::Outcome::OrderNotFound;
      return;
    }
    auto text = [](const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); };
    conn.execute(
        "INSERT INTO work_submissions (id, sender_id, receiver_id, order_id, title, description, payload, "
        "payload_type) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        {id, s.sender_id, s.receiver_id, text(s.order_id), s.title, text(s.description), text(s.payload),
         s.payload_type});
    result.submission = *conn.query_one(std::string(kSubmissionWithNames) + "WHERE ws.id = ?1", {id});
  });
  return result;
}

std::optional<Json> Store::submission(const std::string& id) {
  return connection()->query_one(std::string(kSubmissionWithNames) + "WHERE ws.id = ?1", {id});
}

Json Store::list_submissions(const SubmissionFilter& f) {
  std::string where = "WHERE 1=1";
  std::vector<Json> params;
  if (!f.agent_id.empty()) {
    params.push_back(f.agent_id);
    if (f.role == "sender")
      where += " AND ws.sender_id = ?1";
    else if (f.role == "receiver")
      where += " AND ws.receiver_id = ?1";
    else
      where += " AND (ws.sender_id = ?1 OR ws.receiver_id = ?1)";
  }
  if (!f.status.empty()) {
    params.push_back(f.status);
    where += " AND ws.status = ?" + std::to_string(params.size());
  }
  if (!f.order_id.empty()) {
    params.push_back(f.order_id);
    where += " AND ws.order_id = ?" + std::to_string(params.size());
  }
  std::size_t filter_params = params.size();
  std::string n = std::to_string(params.size() + 1), m = std::to_string(params.size() + 2);
  params.push_back(f.limit);
  params.push_back(f.offset);
  auto conn = connection();
  Json rows = Json::array();
  std::string sql = kSubmissionWithNames;
  sql += where;
  sql += " ORDER BY ws.created_at DESC, ws.rowid DESC LIMIT ?";
  sql += n;
  sql += " OFFSET ?";
  sql += m;
  for (auto& row : conn->query(sql, params)) rows.push_back(std::move(row));
  params.resize(filter_params);
  auto total = conn->query_one("SELECT COUNT(*) AS n FROM work_submissions ws " + where, params);
  return Json{{"submissions", std::move(rows)},
              {"total", total ? (*total)["n"] : Json(0)},
              {"limit", f.limit},
              {"offset", f.offset}};
}

SubmissionResult Store::review_submission(const std::string& id, const std::string& reviewer_id, int score,
                                          const std::optional<std::string>& comment) {
  SubmissionResult result{SubmissionResult::Outcome::Created, nullptr};
  write([&](Connection& conn) {
    auto found = conn.query_one("SELECT * FROM work_submissions WHERE id = ?1", {id});
    if (!found) {
      result.outcome = SubmissionResult::Outcome::NotFound;
      return;
    }
    if ((*found)["receiver_id"] != reviewer_id) {
      result.outcome = SubmissionResult::Outcome::NotReceiver;
      return;
    }
    if ((*found)["status"] == "reviewed") {
      result.outcome = SubmissionResult::Outcome::AlreadyReviewed;
      return;
    }
    result.submission = *conn.query_one(
        "UPDATE work_submissions SET status = 'reviewed', score = ?2, score_comment = ?3, "
        "reviewed_at = datetime('now'), updated_at = datetime('now') WHERE id = ?1 RETURNING *",
        {id, score, comment ? Json(*comment) : Json(nullptr)});
    // A submission about an order that has no review yet also leaves stars on it,
    // round(score / 20) within 1-5, as the deployed service does.
    const Json& order_id = (*found)["order_id"];
    if (!order_id.is_string()) return;
    auto order = conn.query_one("SELECT seller_id, gig_id FROM orders WHERE id = ?1", {order_id});
    if (!order || conn.query_one("SELECT 1 FROM reviews WHERE order_id = ?1", {order_id})) return;
    int stars = std::clamp(static_cast<int>(std::lround(score / 20.0)), 1, 5);
    conn.execute(
        "INSERT INTO reviews (id, order_id, reviewer_id, reviewed_id, gig_id, rating, comment) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        {uuid_v4(), order_id, reviewer_id, (*found)["sender_id"], (*order)["gig_id"], stars,
         comment ? Json(*comment) : Json("Work submission rated " + std::to_string(score) + "/100")});
    recompute_ratings(conn, (*found)["sender_id"], (*order)["gig_id"]);
  });
  return result;
}

std::vector<Json> Store::inbox(const std::string& agent_id) {
  return connection()->query(std::string(kSubmissionWithNames) +
                                 "WHERE ws.receiver_id = ?1 AND ws.status = 'pending' "
                                 "ORDER BY ws.created_at DESC, ws.rowid DESC",
                             {agent_id});
}

std::vector<Json> Store::sent(const std::string& agent_id) {
  return connection()->query(
      std::string(kSubmissionWithNames) + "WHERE ws.sender_id = ?1 ORDER BY ws.created_at DESC, ws.rowid DESC",
      {agent_id});
}

}  // namespace gigent::server
