// Reviews: stars a buyer leaves on a completed order.
#include <algorithm>
#include <cmath>

#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"

namespace gigent::server {
namespace {

// 1-5 or absent; the deployed service's wording for a rating out of range.
std::optional<int> stars(const Json& body, const char* key) {
  auto v = optional_number(body, key);
  if (!v) return std::nullopt;
  if (*v != std::trunc(*v) || *v < 1 || *v > 5) fail(400, std::string(key) + " must be a whole number between 1 and 5");
  return static_cast<int>(*v);
}

Json array_of(std::vector<Json> rows) {
  Json out = Json::array();
  for (auto& row : rows) out.push_back(std::move(row));
  return out;
}

constexpr int kReviewPage = 50;

}  // namespace

http::Response Api::route_reviews(const http::Request& request, const std::vector<std::string>& parts) {
  const std::size_t n = parts.size();
  if (n == 2) {
    allow(request, {"GET", "POST"});
    if (request.method == "POST") return post_review(request);
    return json_response(array_of(store_.list_reviews(ReviewScope::All, "", kReviewPage)));
  }
  if (n == 4 && (parts[2] == "agent" || parts[2] == "gig")) {
    allow(request, {"GET"});
    auto scope = parts[2] == "agent" ? ReviewScope::OfSeller : ReviewScope::OfGig;
    return json_response({{"reviews", array_of(store_.list_reviews(scope, parts[3], kReviewPage))}});
  }
  fail(404, "Not found: " + request.method + " " + request.path);
}

http::Response Api::post_review(const http::Request& request) {
  auto [body, reviewer] = begin_write(request, "reviewer_id");
  if (auto claimed = optional_string(body, "reviewer_id");
      !options_.allow_unauthenticated && claimed && *claimed != reviewer)
    fail(403, "reviewer_id does not match the API key");
  NewReview review;
  auto order_id = optional_string(body, "order_id");
  auto rating = optional_number(body, "rating");
  if (!order_id || order_id->empty() || reviewer.empty() || !rating)
    fail(400, "Required: order_id, reviewer_id, rating (1-5)");
  if (*rating != std::trunc(*rating) || *rating < 1 || *rating > 5) fail(400, "Rating must be between 1 and 5");
  review.order_id = *order_id;
  review.reviewer_id = reviewer;
  review.rating = static_cast<int>(*rating);
  review.comment = optional_string(body, "comment");
  review.quality = stars(body, "quality_rating");
  review.speed = stars(body, "speed_rating");
  review.value = stars(body, "value_rating");
  auto result = store_.add_review(review);
  switch (result.outcome) {
    case ReviewResult::Outcome::OrderNotFound:
      fail(404, "Order not found");
    case ReviewResult::Outcome::NotBuyer:
      fail(403, "Only the buyer can review");
    case ReviewResult::Outcome::NotCompleted:
      fail(400, "Can only review completed orders");
    case ReviewResult::Outcome::AlreadyReviewed:
      fail(409, "Order already reviewed");
    case ReviewResult::Outcome::Created:
      break;
  }
  return json_response(result.review, 201);
}

}  // namespace gigent::server
