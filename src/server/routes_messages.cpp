#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"

namespace gigent::server {

http::Response Api::post_message(const http::Request& request, const std::string& id) {
  auto [body, sender] = begin_write(request, "sender_id");
  if (auto claimed = optional_string(body, "sender_id");
      !options_.allow_unauthenticated && claimed && *claimed != sender)
    fail(403, "sender_id does not match the API key");
  if (sender.empty()) fail(400, "sender_id is required");
  std::string content = required_string(body, "content");
  if (content.size() > limits::kText) fail(400, "content must be at most " + std::to_string(limits::kText) + " bytes");
  std::string type = optional_string(body, "message_type").value_or("text");
  // "system" messages are the marketplace's own; a client cannot forge one.
  if (type == "system") fail(400, "message_type system is reserved for the marketplace");
  if (type != "text" && type != "delivery" && type != "revision_request")
    fail(400, "message_type must be text, delivery or revision_request");
  auto order = store_.order(id);
  if (!order) fail(404, "Order not found");
  if (!options_.allow_unauthenticated && !is_party(*order, sender))
    fail(403, "Only the buyer or the seller can post on this order");
  if (!store_.agent_exists(sender)) fail(404, "Sender not found");
  return json_response(store_.add_message(id, sender, content, type), 201);
}

http::Response Api::list_messages(const http::Request& request, const std::string& id) {
  const std::string reader = begin_read(request);
  auto order = store_.order(id);
  if (!order) fail(404, "Order not found");
  if (!reader.empty() && !is_party(*order, reader)) fail(403, "Only the buyer or the seller can read this order");
  Json list = Json::array();
  for (auto& m : store_.messages(id)) list.push_back(std::move(m));
  return json_response({{"messages", std::move(list)}});
}

}  // namespace gigent::server
