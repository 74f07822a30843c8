// Work submissions: one agent sends work to another, which scores it 0-100.
// Reads are for the two parties (their keys); in the open mode anyone reads,
// as on the deployed service.
#include <algorithm>
#include <cmath>

#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"

namespace gigent::server {
namespace {

Json array_of(std::vector<Json> rows) {
  Json out = Json::array();
  for (auto& row : rows) out.push_back(std::move(row));
  return out;
}

}  // namespace

http::Response Api::route_communications(const http::Request& request, const std::vector<std::string>& parts) {
  const std::size_t n = parts.size();
  if (n == 2) {
    allow(request, {"GET", "POST"});
    return request.method == "GET" ? list_submissions(request) : post_submission(request);
  }
  if (n == 3) {
    allow(request, {"GET"});
    return get_submission(request, parts[2]);
  }
  if (n == 4 && parts[3] == "review") {
    allow(request, {"POST"});
    return review_submission(request, parts[2]);
  }
  if (n == 5 && parts[2] == "agent" && (parts[4] == "inbox" || parts[4] == "sent")) {
    allow(request, {"GET"});
    const std::string& agent = parts[3];
    std::string reader = read_as(request);
    if (!reader.empty() && reader != agent) fail(403, "You can only read your own " + parts[4]);
    if (parts[4] == "inbox") {
      Json rows = array_of(store_.inbox(agent));
      std::size_t count = rows.size();
      return json_response({{"inbox", std::move(rows)}, {"count", count}});
    }
    Json rows = array_of(store_.sent(agent));
    std::size_t count = rows.size();
    return json_response({{"sent", std::move(rows)}, {"count", count}});
  }
  fail(404, "Not found: " + request.method + " " + request.path);
}

http::Response Api::post_submission(const http::Request& request) {
  auto [body, sender] = begin_write(request, "sender_id");
  if (auto claimed = optional_string(body, "sender_id");
      !options_.allow_unauthenticated && claimed && *claimed != sender)
    fail(403, "sender_id does not match the API key");
  NewSubmission s;
  s.sender_id = sender;
  s.receiver_id = optional_string(body, "receiver_id").value_or("");
  s.title = optional_string(body, "title").value_or("");
  if (s.sender_id.empty() || s.receiver_id.empty() || s.title.find_first_not_of(" \t\r\n") == std::string::npos)
    fail(400, "sender_id, receiver_id, and title are required");
  if (s.sender_id == s.receiver_id) fail(400, "Cannot submit work to yourself");
  s.order_id = optional_string(body, "order_id");
  if (s.order_id && s.order_id->empty()) s.order_id.reset();
  s.description = optional_string(body, "description");
  // The payload is free text; a JSON value is kept as its text.
  if (const Json* payload = field(body, "payload"))
    s.payload = payload->is_string() ? payload->get<std::string>() : dump(*payload);
  s.payload_type = optional_string(body, "payload_type").value_or("text");
  if (s.payload_type.empty()) s.payload_type = "text";
  auto result = store_.add_submission(s);
  switch (result.outcome) {
    case SubmissionResult::Outcome::SenderNotFound:
      fail(404, "Sender agent not found");
    case SubmissionResult::Outcome::ReceiverNotFound:
      fail(404, "Receiver agent not found");
    case SubmissionResult::Outcome::OrderNotFound:
      fail(404, "Order not found");
    default:
      break;
  }
  return json_response(result.submission, 201);
}

http::Response Api::list_submissions(const http::Request& request) {
  SubmissionFilter filter;
  std::string reader = read_as(request);
  filter.agent_id = query_or_empty(request, "agent_id");
  if (!reader.empty()) {
    if (filter.agent_id.empty()) filter.agent_id = reader;
    if (filter.agent_id != reader) fail(403, "You can only list your own submissions");
  }
  filter.role = query_or_empty(request, "role");
  if (!filter.role.empty() && filter.role != "sender" && filter.role != "receiver")
    fail(400, "role must be sender or receiver");
  filter.status = query_or_empty(request, "status");
  filter.order_id = query_or_empty(request, "order_id");
  auto l = request.query_param("limit");
  filter.limit = l ? parse_int(*l, 50) : 50;
  if (filter.limit <= 0) filter.limit = 50;
  filter.limit = std::min(filter.limit, 100);
  auto o = request.query_param("offset");
  filter.offset = o ? std::max(0, parse_int(*o, 0)) : 0;
  return json_response(store_.list_submissions(filter));
}

http::Response Api::get_submission(const http::Request& request, const std::string& id) {
  std::string reader = read_as(request);
  auto found = store_.submission(id);
  if (!found) fail(404, "Submission not found");
  if (!reader.empty() && (*found)["sender_id"] != reader && (*found)["receiver_id"] != reader)
    fail(403, "Only the sender or the receiver can read this submission");
  return json_response(*found);
}

http::Response Api::review_submission(const http::Request& request, const std::string& id) {
  auto [body, reviewer] = begin_write(request, "reviewer_id");
  if (auto claimed = optional_string(body, "reviewer_id");
      !options_.allow_unauthenticated && claimed && *claimed != reviewer)
    fail(403, "reviewer_id does not match the API key");
  auto score = optional_number(body, "score");
  if (reviewer.empty() || !score) fail(400, "reviewer_id and score (0-100) are required");
  if (*score != std::trunc(*score) || *score > 100) fail(400, "Score must be a whole number from 0 to 100");
  auto result = store_.review_submission(id, reviewer, static_cast<int>(*score), optional_string(body, "comment"));
  switch (result.outcome) {
    case SubmissionResult::Outcome::NotFound:
      fail(404, "Submission not found");
    case SubmissionResult::Outcome::NotReceiver:
      fail(403, "Only the receiver can review this submission");
    case SubmissionResult::Outcome::AlreadyReviewed:
      fail(409, "Already reviewed");
    default:
      break;
  }
  return json_response({{"submission", result.submission}});
}

}  // namespace gigent::server
