#include <algorithm>

#include "common/secret.h"
#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"
#include "server/order_state.h"

namespace gigent::server {

http::Response Api::orders_page(const OrderFilter& filter) {
  std::string key = filter.agent_id + '\x1f' + filter.role + '\x1f' + std::to_string(filter.limit) + '\x1f' +
                    std::to_string(filter.offset);
  for (const auto& status : filter.statuses) key += '\x1f' + status;
  http::Response r;
  const std::uint64_t generation = store_.generation();  // read before the query, see Store::generation
  if (auto cached = pages_.find(key, generation)) {
    r.body = std::move(cached->body);
    r.headers.emplace_back("ETag", std::move(cached->etag));
    return r;
  }
  r.body = "{\"orders\":" + store_.list_orders_json(filter) + "}";
  std::string etag = weak_etag(r.body);
  pages_.put(std::move(key), CachedPage{generation, r.body, etag});
  r.headers.emplace_back("ETag", std::move(etag));
  return r;
}

http::Response Api::list_orders(const http::Request& request, http::Reply& reply, bool& parked) {
  const std::string reader = begin_read(request);
  OrderFilter filter;
  filter.agent_id = query_or_empty(request, "agent_id");
  // A key lists its own agent's orders only; no agent_id means those.
  if (!reader.empty() && filter.agent_id.empty()) filter.agent_id = reader;
  if (!reader.empty() && filter.agent_id != reader) fail(403, "An API key can list only its own agent's orders");
  filter.role = query_or_empty(request, "role");
  if (!filter.role.empty() && filter.role != "seller" && filter.role != "buyer")
    fail(400, "role must be seller or buyer");
  // status=a,b is an extension: any of several statuses. Capped so that the
  // statement cache holds a bounded number of shapes.
  std::string status = query_or_empty(request, "status");
  for (std::size_t start = 0; start < status.size() && filter.statuses.size() < 10;) {
    auto comma = std::min(status.find(',', start), status.size());
    std::string one = status.substr(start, comma - start);
    if (!one.empty() && std::find(filter.statuses.begin(), filter.statuses.end(), one) == filter.statuses.end())
      filter.statuses.push_back(one);
    start = comma + 1;
  }
  read_page(request, options_.max_limit, filter.limit, filter.offset);
  int wait = 0;
  if (auto w = request.query_param("wait")) wait = std::max(0, parse_int(*w, 0));
  wait = std::min<int>(wait, static_cast<int>(options_.max_wait.count()));

  http::Response page = orders_page(filter);
  if (wait > 0 && !filter.agent_id.empty() && page.body == R"({"orders":[]})" && scheduler_) {
    park(std::move(filter), std::chrono::seconds(wait), reply, parked);
    if (parked) return {};
  }
  return page;
}

http::Response Api::get_order(const http::Request& request, const std::string& id) {
  const std::string reader = begin_read(request);
  auto order = store_.order_with_names(id);
  if (!order) fail(404, "Order not found");
  if (!reader.empty() && !is_party(*order, reader)) fail(403, "Only the buyer or the seller can read this order");
  Json messages = Json::array();
  for (auto& m : store_.messages(id)) messages.push_back(std::move(m));
  (*order)["messages"] = std::move(messages);
  return json_response(*order);
}

http::Response Api::place_order(const http::Request& request) {
  auto [body, buyer] = begin_write(request, "buyer_id");
  if (auto claimed = optional_string(body, "buyer_id"); !options_.allow_unauthenticated && claimed && *claimed != buyer)
    fail(403, "buyer_id does not match the API key");
  if (buyer.empty()) fail(400, "buyer_id is required");
  NewOrder order;
  order.gig_id = required_string(body, "gig_id");
  order.buyer_id = buyer;
  order.tier = optional_string(body, "tier").value_or("basic");
  if (order.tier != "basic" && order.tier != "standard" && order.tier != "premium")
    fail(400, "tier must be basic, standard or premium");
  // Only the body limit bounds a brief: the deployed service takes briefs of
  // megabytes and the runtime is built to cope with them.
  order.brief = optional_string(body, "brief").value_or("");
  order.input_data = json_text(body, "input_data", limits::kInputData);
  // pay_now is accepted and ignored: nothing here is on-chain.
  auto placed = store_.place_order(order);
  switch (placed.outcome) {
    case OrderPlacement::Outcome::GigNotFound:
      fail(404, "Gig not found or inactive");
    case OrderPlacement::Outcome::BuyerNotFound:
      fail(404, "Buyer not found");
    case OrderPlacement::Outcome::OwnGig:
      fail(400, "You can't order your own gig");
    case OrderPlacement::Outcome::TierUnavailable:
      fail(400, "This gig has no " + order.tier + " tier");
    case OrderPlacement::Outcome::Created:
      break;
  }
  notify({placed.order["seller_id"].get<std::string>(), buyer});
  return json_response(placed.order, 201);
}

http::Response Api::change_status(const http::Request& request, const std::string& id) {
  auto [body, actor] = begin_write(request, "agent_id");
  std::string to = required_string(body, "status");
  auto order = store_.order(id);
  if (!order) fail(404, "Order not found");
  std::string from = (*order)["status"].get<std::string>();
  if (!can_transition(from, to)) fail(400, transition_error(from, to), {{"valid", next_statuses(from)}});
  // The deployed service lets anyone move any order; only keys make parties
  // matter.
  if (!options_.allow_unauthenticated) {
    bool is_seller = (*order)["seller_id"] == actor, is_buyer = (*order)["buyer_id"] == actor;
    switch (required_party(from, to)) {
      case Party::Seller:
        if (!is_seller) fail(403, "Only the seller can move this order to \"" + to + "\"");
        break;
      case Party::Buyer:
        if (!is_buyer) fail(403, "Only the buyer can move this order to \"" + to + "\"");
        break;
      case Party::Either:
        if (!is_seller && !is_buyer) fail(403, "Only the buyer or the seller can change this order");
        break;
    }
  }
  auto result = store_.transition(id, from, to);
  if (result.outcome == TransitionResult::Outcome::NotFound) fail(404, "Order not found");
  if (result.outcome == TransitionResult::Outcome::Invalid)
    fail(400, transition_error(result.current_status, to), {{"valid", next_statuses(result.current_status)}});
  if (result.outcome == TransitionResult::Outcome::RevisionsUsedUp) {
    auto allowed = result.order.value("max_revisions", Json(1));
    fail(400,
         "No revisions left: this order included " + allowed.dump() +
             " and all are used. The buyer can complete the order or open a "
             "dispute.",
         {{"revisions_used", result.order.value("revisions_used", Json(0))},
          {"max_revisions", allowed},
          {"valid", Json::array({"completed", "disputed"})}});
  }
  notify({result.order["seller_id"].get<std::string>(), result.order["buyer_id"].get<std::string>()});
  return json_response(result.order);
}

http::Response Api::deliver(const http::Request& request, const std::string& id) {
  auto [body, actor] = begin_write(request, "agent_id");
  auto order = store_.order(id);
  if (!order) fail(404, "Order not found");
  if ((*order)["seller_id"] != actor) fail(403, "Only the seller can deliver this order");
  auto data = json_text(body, "delivery_data");
  if (!data) fail(400, "delivery_data is required");
  auto hash = bounded_string(body, "delivery_hash", limits::kDeliveryHash);
  std::string from = (*order)["status"].get<std::string>();
  if (!can_deliver_from(from))
    fail(400, "Cannot deliver from \"" + from + "\"",
         {{"valid", Json::array({"accepted", "in_progress", "revision_requested"})}});
  auto result = store_.deliver(id, *data, hash && !hash->empty() ? *hash : sha256_hex(*data));
  if (result.outcome == TransitionResult::Outcome::NotFound) fail(404, "Order not found");
  if (result.outcome == TransitionResult::Outcome::Invalid)
    fail(400, "Cannot deliver from \"" + result.current_status + "\"",
         {{"valid", Json::array({"accepted", "in_progress", "revision_requested"})}});
  notify({result.order["seller_id"].get<std::string>(), result.order["buyer_id"].get<std::string>()});
  return json_response(result.order);
}

}  // namespace gigent::server
