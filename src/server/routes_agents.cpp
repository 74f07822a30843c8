#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"

namespace gigent::server {

http::Response Api::register_agent(const http::Request& request) {
  Json body = parse_body(request);
  NewAgent agent;
  // The deployed wording for a missing name; clients match on it.
  auto name = bounded_string(body, "name", limits::kName);
  if (!name || name->find_first_not_of(" \t\r\n") == std::string::npos) fail(400, "Name is required");
  agent.name = *name;
  agent.description = bounded_string(body, "description", limits::kDescription);
  // Free text (the deployed service's default is "general"), only bounded.
  agent.category = bounded_string(body, "category", limits::kLabel).value_or("");
  agent.avatar_url = avatar_url(body);
  if (agent.avatar_url && agent.avatar_url->empty()) agent.avatar_url.reset();
  agent.tags = tags_text(body).value_or("[]");
  auto wallet = optional_string(body, "owner_wallet");
  if (!wallet || wallet->empty()) fail(400, "owner_wallet is required");
  if (!is_wallet(*wallet)) fail(400, "owner_wallet must be 0x followed by 40 hex characters");
  agent.owner_wallet = *wallet;
  auto result = store_.register_agent(agent);
  Json answer = std::move(result.agent);
  std::string address = answer.value("wallet_address", "");
  // The deployed service's keys, so its clients find them; the address is
  // derived from the agent id and holds nothing.
  answer["wallet_explorer"] = "https://basescan.org/address/" + address;
  answer["_note"] =
      "Save your api_key now: it is shown only once (POST "
      "/api/agents/rotate-key replaces it). This server keeps "
      "no wallets: wallet_address is derived from the agent id "
      "and is not a funded account.";
  return json_response(answer, 201);
}

http::Response Api::patch_agent(const http::Request& request, const std::string& id) {
  // The key is required in every mode, as on the deployed service.
  std::string actor = require_key(request);
  Json body = parse_body(request);
  if (actor != id) fail(403, "You can only update your own profile");
  Json fields = Json::object();
  if (auto v = optional_string(body, "name")) {
    if (v->find_first_not_of(" \t\r\n") == std::string::npos) fail(400, "name must not be empty");
    fields["name"] = *v;
  }
  for (const char* key : {"description", "category"})
    if (auto v = optional_string(body, key)) fields[key] = *v;
  if (auto v = optional_string(body, "avatar_url")) fields["avatar_url"] = v->empty() ? Json(nullptr) : Json(*v);
  if (auto v = json_text(body, "tags")) fields["tags"] = *v;
  if (auto v = optional_string(body, "status")) {
    if (*v != "active" && *v != "paused") fail(400, "status must be active or paused");
    fields["status"] = *v;
  }
  if (fields.empty()) fail(400, "Nothing to update");
  auto updated = store_.update_agent(id, fields);
  if (!updated) fail(404, "Agent not found");
  return json_response(*updated);
}

http::Response Api::rotate_key(const http::Request& request) {
  std::string actor = require_key(request);
  auto key = store_.rotate_key(actor);
  if (!key) fail(404, "Agent not found");
  return json_response({{"api_key", *key},
                        {"_note",
                         "Save this key now: it is shown only once. The previous key "
                         "stopped working with this answer."}});
}

http::Response Api::heartbeat(const http::Request& request, const std::string& agent_id) {
  // Public, but a key that is sent must be right.
  std::optional<std::string> key_agent;
  if (auto key = request.header("x-api-key"); key && !key->empty()) {
    key_agent = store_.agent_for_key(*key);
    if (!key_agent) fail(401, "Invalid API key");
  }
  if (key_agent && *key_agent != agent_id) {
    if (!store_.agent_exists(agent_id)) fail(404, "Agent not found");
    fail(403, "This API key belongs to another agent");
  }
  auto last_seen = store_.heartbeat(agent_id);
  if (!last_seen) fail(404, "Agent not found");
  return json_response({{"success", true}, {"agent_id", agent_id}, {"last_seen", *last_seen}});
}

http::Response Api::get_agent(const std::string& id) {
  auto agent = store_.agent(id);
  if (!agent) fail(404, "Agent not found");
  Json gigs = Json::array(), reviews = Json::array();
  for (auto& g : store_.gigs_of(id, true)) gigs.push_back(std::move(g));
  for (auto& r : store_.reviews_for(id, 10)) reviews.push_back(std::move(r));
  (*agent)["gigs"] = std::move(gigs);
  (*agent)["reviews"] = std::move(reviews);
  return json_response(*agent);
}

http::Response Api::get_me(const http::Request& request) {
  std::string id = require_key(request);
  auto agent = store_.agent(id);
  if (!agent) fail(404, "Agent not found");
  Json gigs = Json::array(), pending = Json::array();
  for (auto& g : store_.gigs_of(id, false)) gigs.push_back(std::move(g));
  OrderFilter open;
  open.agent_id = id;
  open.role = "seller";
  open.statuses = {"pending", "accepted", "in_progress"};
  open.limit = -1;
  for (auto& o : store_.list_orders(open)) pending.push_back(std::move(o));
  (*agent)["gigs"] = std::move(gigs);
  (*agent)["pending_orders"] = std::move(pending);
  return json_response(*agent);
}

http::Response Api::list_agents(const http::Request& request) {
  AgentFilter filter;
  filter.category = query_or_empty(request, "category");
  filter.search = query_or_empty(request, "search");
  filter.status = query_or_empty(request, "status");
  filter.sort = query_or_empty(request, "sort");
  filter.owner_wallet = query_or_empty(request, "owner_wallet");
  read_page(request, options_.max_limit, filter.limit, filter.offset);
  return json_response(store_.list_agents(filter));
}

}  // namespace gigent::server
