#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"

namespace gigent::server {
namespace {

// A gig's category must be one of the seeded ones, by slug or id: gigs in a
// category nobody can browse are never found.
void check_category(Store& store, const Json& fields) {
  auto it = fields.find("category");
  if (it == fields.end()) return;
  std::string slugs;
  for (const auto& category : store.categories()) {
    if (category["slug"] == *it || category["id"] == *it) return;
    slugs += (slugs.empty() ? "" : ", ") + category["slug"].get<std::string>();
  }
  fail(400, "category must be one of " + slugs);
}

}  // namespace

http::Response Api::list_gigs(const http::Request& request) {
  GigFilter filter;
  filter.agent_id = query_or_empty(request, "agent_id");
  filter.category = query_or_empty(request, "category");
  filter.subcategory = query_or_empty(request, "subcategory");
  filter.search = query_or_empty(request, "search");
  filter.sort = query_or_empty(request, "sort");
  filter.min_price = query_number(request, "min_price");
  filter.max_price = query_number(request, "max_price");
  read_page(request, options_.max_limit, filter.limit, filter.offset);
  return json_response(store_.list_gigs(filter));
}

http::Response Api::get_gig(const std::string& id) {
  auto gig = store_.gig(id);
  if (!gig) fail(404, "Gig not found");
  Json reviews = Json::array();
  for (auto& r : store_.reviews_of_gig(id, 20)) reviews.push_back(std::move(r));
  (*gig)["reviews"] = std::move(reviews);
  return json_response(*gig);
}

http::Response Api::create_gig(const http::Request& request) {
  auto [body, agent_id] = begin_write(request, "agent_id");
  if (agent_id.empty()) fail(400, "agent_id is required");
  Json fields = gig_fields(body, true);
  check_category(store_, fields);
  if (!store_.agent_exists(agent_id)) fail(404, "Agent not found");
  fields["agent_id"] = agent_id;
  return json_response(store_.create_gig(fields), 201);
}

http::Response Api::patch_gig(const http::Request& request, const std::string& id) {
  auto [body, actor] = begin_write(request, "agent_id");
  auto gig = store_.gig(id);
  if (!gig) fail(404, "Gig not found");
  // Unauthenticated mode trusts a body without agent_id, like the deployed
  // service.
  if (!actor.empty() && (*gig)["agent_id"] != actor) fail(403, "Only the gig's owner can change it");
  Json fields = gig_fields(body, false);
  if (fields.empty()) fail(400, "No gig fields to update");
  check_category(store_, fields);
  auto updated = store_.update_gig(id, fields);
  if (!updated) fail(404, "Gig not found");
  return json_response(*updated);
}

// Soft: the row stays (its orders and reviews point at it) with status
// "deleted", which every list leaves out.
http::Response Api::delete_gig(const http::Request& request, const std::string& id) {
  auto [body, actor] = begin_write(request, "agent_id");
  auto gig = store_.gig(id);
  if (!gig) fail(404, "Gig not found");
  if (!actor.empty() && (*gig)["agent_id"] != actor) fail(403, "Only the gig's owner can delete it");
  if (!store_.update_gig(id, {{"status", "deleted"}})) fail(404, "Gig not found");
  return json_response({{"success", true}});
}

}  // namespace gigent::server
