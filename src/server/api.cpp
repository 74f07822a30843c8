#include "server/api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>

#include "common/log.h"
#include "common/secret.h"
#include "gigent/version.h"
#include "server/order_state.h"

namespace gigent::server {

struct Api::Waiter {
  std::atomic<bool> done{false};
  http::Reply reply;
  OrderFilter filter;
};

namespace {

// A 4xx raised anywhere below the route boundary.
struct ApiError {
  int status;
  std::string message;
  Json extra = Json::object();
};

[[noreturn]] void fail(int status, std::string message, Json extra = Json::object()) {
  throw ApiError{status, std::move(message), std::move(extra)};
}

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = gigent::log::get("api");
  return log;
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

http::Response json_response(const Json& body, int status = 200) {
  http::Response r;
  r.status = status;
  r.body = dump(body);
  return r;
}

http::Response error_response(int status, const std::string& message, const Json& extra = Json::object()) {
  Json body = {{"error", message}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  return json_response(body, status);
}

// Request bodies: an empty body is {}; anything else must be a JSON object.
// Nesting is capped so that dumping a stored value can never recurse deeply.
Json parse_body(const http::Request& request) {
  const std::string& text = request.body;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  constexpr int kMaxDepth = 64;
  struct TooDeep {};
  Json body;
  try {
    body = Json::parse(text, [](int depth, Json::parse_event_t, Json&) {
      if (depth > kMaxDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    fail(400, "JSON body is nested too deeply");
  } catch (const Json::exception&) {
    fail(400, "Invalid JSON body");
  }
  if (!body.is_object()) fail(400, "JSON body must be an object");
  return body;
}

const Json* field(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> optional_string(const Json& body, const char* key) {
  const Json* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(400, std::string(key) + " must be a string");
  return v->get<std::string>();
}

std::string required_string(const Json& body, const char* key) {
  auto value = optional_string(body, key);
  if (!value || value->find_first_not_of(" \t\r\n") == std::string::npos) fail(400, std::string(key) + " is required");
  return *value;
}

// A number, or a string holding nothing but one (HTML forms send strings).
std::optional<double> optional_number(const Json& body, const char* key) {
  const Json* v = field(body, key);
  if (!v) return std::nullopt;
  double out = 0;
  if (v->is_number()) {
    out = v->get<double>();
  } else if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) fail(400, std::string(key) + " must be a number");
  } else {
    fail(400, std::string(key) + " must be a number");
  }
  if (!std::isfinite(out) || out < 0) fail(400, std::string(key) + " must be a non-negative number");
  return out;
}

std::optional<std::int64_t> optional_count(const Json& body, const char* key, std::int64_t min, std::int64_t max) {
  auto v = optional_number(body, key);
  if (!v) return std::nullopt;
  if (*v != std::trunc(*v) || *v < static_cast<double>(min) || *v > static_cast<double>(max))
    fail(400, std::string(key) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return static_cast<std::int64_t>(*v);
}

// Fields stored as JSON text: a client may send the text or the value itself.
// Text that is not JSON is stored as a JSON string so that it always parses.
std::optional<std::string> json_text(const Json& body, const char* key) {
  const Json* v = field(body, key);
  if (!v) return std::nullopt;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (Json::accept(s)) return s;
    return dump(*v);
  }
  return dump(*v);
}

bool is_wallet(const std::string& s) {
  if (s.size() != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  return std::all_of(s.begin() + 2, s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

int parse_int(const std::string& text, int fallback) {
  int out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return fallback;
  return out;
}

// limit: missing, 0 or not a number → 20; negative ("no limit" on the deployed
// service) or too large → the cap. offset: negative or not a number → 0.
void read_page(const http::Request& request, int max_limit, int& limit, int& offset) {
  auto l = request.query_param("limit");
  limit = l ? parse_int(*l, 20) : 20;
  if (limit == 0) limit = 20;
  if (limit < 0 || limit > max_limit) limit = max_limit;
  auto o = request.query_param("offset");
  offset = o ? std::max(0, parse_int(*o, 0)) : 0;
}

std::string query_or_empty(const http::Request& request, const char* name) {
  auto v = request.query_param(name);
  return v ? *v : std::string();
}

std::optional<double> query_number(const http::Request& request, const char* name) {
  auto v = request.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  double out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size() || !std::isfinite(out))
    fail(400, std::string(name) + " must be a number");
  return out;
}

std::string weak_etag(const std::string& body) {
  // Not cryptographic, only a change detector; std::hash reads a word at a time.
  std::uint64_t hash = std::hash<std::string_view>{}(body);
  char out[48];
  std::snprintf(out, sizeof out, "W/\"%zx-%016llx\"", body.size(), static_cast<unsigned long long>(hash));
  return out;
}

bool etag_matches(const std::string& if_none_match, const std::string& etag) {
  if (if_none_match == "*") return true;
  return if_none_match.find(etag) != std::string::npos;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

const std::set<std::string, std::less<>> kGigStatuses{"active", "paused", "inactive", "deleted"};

// Validates the gig fields present in `body` into column values. With
// `for_create`, the contract's required fields must be present.
Json gig_fields(const Json& body, bool for_create) {
  Json out = Json::object();
  auto text = [&](const char* key, bool required) {
    if (required)
      out[key] = required_string(body, key);
    else if (auto v = optional_string(body, key))
      out[key] = *v;
  };
  text("title", for_create);
  text("description", for_create);
  text("category", for_create);
  text("subcategory", false);
  text("desc_basic", for_create);
  text("desc_standard", false);
  text("desc_premium", false);
  if (auto v = json_text(body, "tags")) out["tags"] = *v;
  if (auto v = json_text(body, "api_schema")) out["api_schema"] = *v;
  // Examples are free text, but a client may send a JSON value.
  for (const char* key : {"example_input", "example_output"}) {
    const Json* v = field(body, key);
    if (v) out[key] = v->is_string() ? v->get<std::string>() : dump(*v);
  }
  for (const char* key : {"price_basic", "price_standard", "price_premium"})
    if (auto v = optional_number(body, key)) out[key] = *v;
  if (for_create && !out.contains("price_basic")) fail(400, "price_basic is required");
  if (auto v = optional_count(body, "delivery_time_hours", 1, 24 * 365)) out["delivery_time_hours"] = *v;
  if (auto v = optional_count(body, "max_revisions", 0, 100)) out["max_revisions"] = *v;
  if (auto v = optional_string(body, "status")) {
    if (!kGigStatuses.count(*v)) fail(400, "status must be one of active, paused, inactive, deleted");
    out["status"] = *v;
  }
  return out;
}

}  // namespace

Api::Api(Store& store, ApiOptions options) : store_(store), options_(options) {}

Api::~Api() {
  shutdown();
}

void Api::set_scheduler(Scheduler scheduler) {
  scheduler_ = std::move(scheduler);
}

void Api::handle(http::Request&& request, http::Reply reply) {
  bool parked = false;
  http::Response response;
  try {
    response = route(request, reply, parked);
  } catch (const ApiError& e) {
    response = error_response(e.status, e.message, e.extra);
  } catch (const std::exception& e) {
    logger()->error("{} {} failed: {}", request.method, request.path, e.what());
    response = error_response(500, "Internal server error");
  } catch (...) {
    logger()->error("{} {} failed with an unknown exception", request.method, request.path);
    response = error_response(500, "Internal server error");
  }
  if (parked) return;
  logger()->debug("{} {} -> {}", request.method, request.target, response.status);
  response.headers.emplace_back("Access-Control-Allow-Origin", "*");
  if (request.method == "GET" && response.status == 200) {
    auto known = std::find_if(response.headers.begin(), response.headers.end(),
                              [](const auto& header) { return header.first == "ETag"; });
    if (known == response.headers.end()) {
      response.headers.emplace_back("ETag", weak_etag(response.body));
      known = std::prev(response.headers.end());
    }
    auto if_none_match = request.header("if-none-match");
    if (if_none_match && etag_matches(*if_none_match, known->second)) {
      response.status = 304;
      response.body.clear();
    }
  }
  reply(std::move(response));
}

http::Response Api::route(http::Request& request, http::Reply& reply, bool& parked) {
  const std::string& method = request.method;
  if (method == "OPTIONS") {
    http::Response r;
    r.status = 204;
    r.headers = {{"Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, X-API-Key, If-None-Match"}};
    return r;
  }
  auto parts = split_path(request.path);
  if (parts.empty() || parts[0] != "api") fail(404, "Not found: " + method + " " + request.path);
  // Each route: the methods it answers; a known path with another method is a 405.
  auto only = [&](std::initializer_list<const char*> allowed) {
    for (const char* m : allowed)
      if (method == m) return;
    std::string list;
    for (const char* m : allowed) list += (list.empty() ? "" : ", ") + std::string(m);
    fail(405, "Method " + method + " is not allowed on " + request.path, {{"allowed", list}});
  };
  const std::size_t n = parts.size();
  const std::string& resource = n > 1 ? parts[1] : std::string();

  if (n == 2 && resource == "health") return only({"GET"}), health();
  if (n == 2 && resource == "categories") return only({"GET"}), categories();

  if (resource == "agents") {
    if (n == 2) return only({"GET"}), list_agents(request);
    if (n == 3 && parts[2] == "register") return only({"POST"}), register_agent(request);
    if (n == 3 && parts[2] == "me") return only({"GET"}), get_me(request);
    if (n == 3) return only({"GET"}), get_agent(parts[2]);
    if (n == 4 && parts[3] == "heartbeat") return only({"POST"}), heartbeat(request, parts[2]);
  }
  if (resource == "gigs") {
    if (n == 2) {
      only({"GET", "POST"});
      return method == "GET" ? list_gigs(request) : create_gig(request);
    }
    if (n == 3) {
      only({"GET", "PATCH"});
      return method == "GET" ? get_gig(parts[2]) : patch_gig(request, parts[2]);
    }
  }
  if (resource == "orders") {
    if (n == 2) {
      only({"GET", "POST"});
      return method == "GET" ? list_orders(request, reply, parked) : place_order(request);
    }
    if (n == 3) return only({"GET"}), get_order(parts[2]);
    if (n == 4 && parts[3] == "status") return only({"PATCH"}), change_status(request, parts[2]);
    if (n == 4 && parts[3] == "deliver") return only({"POST"}), deliver(request, parts[2]);
    if (n == 4 && parts[3] == "messages") {
      only({"GET", "POST"});
      return method == "GET" ? list_messages(parts[2]) : post_message(request, parts[2]);
    }
  }
  fail(404, "Not found: " + method + " " + request.path);
}

Api::Write Api::begin_write(const http::Request& request, const char* body_field) {
  Write write;
  auto key = request.header("x-api-key");
  if (!options_.allow_unauthenticated) {
    // The key is checked before the body is read: a keyless write is a 401
    // whatever it carries.
    if (!key || key->empty()) fail(401, "Missing X-API-Key header");
    auto agent = store_.agent_for_key(*key);
    if (!agent) fail(401, "Invalid API key");
    write.actor = *agent;
    write.body = parse_body(request);
    return write;
  }
  // Unauthenticated mode: a valid key still names the agent; a wrong one is
  // ignored, as the deployed service does on routes where the key is optional.
  write.body = parse_body(request);
  if (key && !key->empty())
    if (auto agent = store_.agent_for_key(*key)) write.actor = *agent;
  if (write.actor.empty()) write.actor = optional_string(write.body, body_field).value_or("");
  return write;
}

// ------------------------------------------------------------------ Health

http::Response Api::health() {
  return json_response({{"status", "ok"},
                        {"name", "Gigent"},
                        {"version", GIGENT_VERSION},
                        {"stats", store_.stats()},
                        {"features", {"long_poll", "heartbeat", "gig_patch"}}});
}

http::Response Api::categories() {
  Json list = Json::array();
  for (auto& row : store_.categories()) list.push_back(std::move(row));
  return json_response({{"categories", std::move(list)}});
}

// ------------------------------------------------------------------ Agents

http::Response Api::register_agent(const http::Request& request) {
  Json body = parse_body(request);
  NewAgent agent;
  agent.name = required_string(body, "name");
  agent.description = optional_string(body, "description").value_or("");
  agent.category = optional_string(body, "category").value_or("");
  agent.avatar_url = optional_string(body, "avatar_url").value_or("");
  agent.tags = json_text(body, "tags").value_or("[]");
  auto wallet = optional_string(body, "owner_wallet");
  if (!wallet || wallet->empty()) fail(400, "owner_wallet is required");
  if (!is_wallet(*wallet)) fail(400, "owner_wallet must be 0x followed by 40 hex characters");
  agent.owner_wallet = *wallet;
  auto result = store_.register_agent(agent);
  if (result.wallet_taken) fail(409, "An agent is already registered for this owner_wallet");
  return json_response(result.agent, 201);
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
  auto key = request.header("x-api-key");
  if (!key || key->empty()) fail(401, "Missing X-API-Key header");
  auto id = store_.agent_for_key(*key);
  if (!id) fail(401, "Invalid API key");
  auto agent = store_.agent(*id);
  if (!agent) fail(404, "Agent not found");
  Json gigs = Json::array(), pending = Json::array();
  for (auto& g : store_.gigs_of(*id, false)) gigs.push_back(std::move(g));
  OrderFilter open;
  open.agent_id = *id;
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

// -------------------------------------------------------------------- Gigs

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
  return json_response(*gig);
}

http::Response Api::create_gig(const http::Request& request) {
  auto [body, agent_id] = begin_write(request, "agent_id");
  if (agent_id.empty()) fail(400, "agent_id is required");
  Json fields = gig_fields(body, true);
  if (!store_.agent_exists(agent_id)) fail(404, "Agent not found");
  fields["agent_id"] = agent_id;
  return json_response(store_.create_gig(fields), 201);
}

http::Response Api::patch_gig(const http::Request& request, const std::string& id) {
  auto [body, actor] = begin_write(request, "agent_id");
  auto gig = store_.gig(id);
  if (!gig) fail(404, "Gig not found");
  // Unauthenticated mode trusts a body without agent_id, like the deployed service.
  if (!actor.empty() && (*gig)["agent_id"] != actor) fail(403, "Only the gig's owner can change it");
  Json fields = gig_fields(body, false);
  if (fields.empty()) fail(400, "No gig fields to update");
  auto updated = store_.update_gig(id, fields);
  if (!updated) fail(404, "Gig not found");
  return json_response(*updated);
}

// ------------------------------------------------------------------ Orders

http::Response Api::orders_page(const OrderFilter& filter) {
  // Bounded by bytes, since a page of 100 orders is tens of kilobytes.
  constexpr std::size_t kMaxCachedBytes = 32u << 20;
  std::string key = filter.agent_id + '\x1f' + filter.role + '\x1f' + std::to_string(filter.limit) + '\x1f' +
                    std::to_string(filter.offset);
  for (const auto& status : filter.statuses) key += '\x1f' + status;
  http::Response r;
  const std::uint64_t generation = store_.generation();  // read before the query, see Store::generation
  {
    std::shared_lock lock(pages_mutex_);
    if (auto it = pages_.find(key); it != pages_.end() && it->second.generation == generation) {
      r.body = it->second.body;
      r.headers.emplace_back("ETag", it->second.etag);
      return r;
    }
  }
  r.body = "{\"orders\":" + store_.list_orders_json(filter) + "}";
  std::string etag = weak_etag(r.body);
  {
    std::unique_lock lock(pages_mutex_);
    if (pages_bytes_ + r.body.size() > kMaxCachedBytes) {
      pages_.clear();
      pages_bytes_ = 0;
    }
    auto [it, inserted] = pages_.try_emplace(std::move(key));
    if (!inserted) pages_bytes_ -= it->second.body.size();
    it->second = CachedPage{generation, r.body, etag};
    pages_bytes_ += r.body.size();
  }
  r.headers.emplace_back("ETag", std::move(etag));
  return r;
}

http::Response Api::list_orders(const http::Request& request, http::Reply& reply, bool& parked) {
  OrderFilter filter;
  filter.agent_id = query_or_empty(request, "agent_id");
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

http::Response Api::get_order(const std::string& id) {
  auto order = store_.order_with_names(id);
  if (!order) fail(404, "Order not found");
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
  order.brief = optional_string(body, "brief").value_or("");
  order.input_data = json_text(body, "input_data");
  // pay_now is accepted and ignored: nothing here is on-chain.
  auto placed = store_.place_order(order);
  switch (placed.outcome) {
    case OrderPlacement::Outcome::GigNotFound:
      fail(404, "Gig not found or not active");
    case OrderPlacement::Outcome::BuyerNotFound:
      fail(404, "Buyer not found");
    case OrderPlacement::Outcome::OwnGig:
      fail(400, "You cannot order your own gig");
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
  // The deployed service lets anyone move any order; only keys make parties matter.
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
  auto hash = optional_string(body, "delivery_hash");
  std::string from = (*order)["status"].get<std::string>();
  if (!can_deliver_from(from))
    fail(400, transition_error(from, "delivered"),
         {{"valid", Json::array({"accepted", "in_progress", "revision_requested"})}});
  auto result = store_.deliver(id, *data, hash && !hash->empty() ? *hash : sha256_hex(*data));
  if (result.outcome == TransitionResult::Outcome::NotFound) fail(404, "Order not found");
  if (result.outcome == TransitionResult::Outcome::Invalid)
    fail(400, transition_error(result.current_status, "delivered"),
         {{"valid", Json::array({"accepted", "in_progress", "revision_requested"})}});
  notify({result.order["seller_id"].get<std::string>(), result.order["buyer_id"].get<std::string>()});
  return json_response(result.order);
}

http::Response Api::post_message(const http::Request& request, const std::string& id) {
  auto [body, sender] = begin_write(request, "sender_id");
  if (auto claimed = optional_string(body, "sender_id");
      !options_.allow_unauthenticated && claimed && *claimed != sender)
    fail(403, "sender_id does not match the API key");
  if (sender.empty()) fail(400, "sender_id is required");
  std::string content = required_string(body, "content");
  std::string type = optional_string(body, "message_type").value_or("text");
  auto order = store_.order(id);
  if (!order) fail(404, "Order not found");
  if (!options_.allow_unauthenticated && (*order)["seller_id"] != sender && (*order)["buyer_id"] != sender)
    fail(403, "Only the buyer or the seller can post on this order");
  if (!store_.agent_exists(sender)) fail(404, "Sender not found");
  return json_response(store_.add_message(id, sender, content, type), 201);
}

http::Response Api::list_messages(const std::string& id) {
  if (!store_.order(id)) fail(404, "Order not found");
  Json list = Json::array();
  for (auto& m : store_.messages(id)) list.push_back(std::move(m));
  return json_response({{"messages", std::move(list)}});
}

// --------------------------------------------------------------- Long-poll

// Parks the request until an order event for the agent or the deadline. The
// query runs once more after parking, so an order placed between the first
// query and the parking is not missed.
void Api::park(OrderFilter filter, std::chrono::seconds wait, http::Reply& reply, bool& parked) {
  auto waiter = std::make_shared<Waiter>();
  waiter->filter = std::move(filter);
  {
    std::lock_guard lock(waiters_mutex_);
    if (shutting_down_) return;
    waiter->reply = std::move(reply);
    waiters_.emplace(waiter->filter.agent_id, waiter);
  }
  parked = true;
  logger()->debug("long-poll parked for agent {} (up to {} s)", waiter->filter.agent_id, wait.count());
  std::weak_ptr<Waiter> weak = waiter;
  scheduler_(wait, [this, weak] {
    if (auto w = weak.lock()) expire(w);
  });
  if (!store_.list_orders(waiter->filter).empty()) expire(waiter);
}

void Api::expire(const std::shared_ptr<Waiter>& waiter) {
  {
    std::lock_guard lock(waiters_mutex_);
    auto [first, last] = waiters_.equal_range(waiter->filter.agent_id);
    for (auto it = first; it != last; ++it) {
      if (it->second == waiter) {
        waiters_.erase(it);
        break;
      }
    }
  }
  if (waiter->done.exchange(true)) return;
  http::Response response;
  try {
    response = orders_page(waiter->filter);
  } catch (const std::exception& e) {
    logger()->error("long-poll query failed: {}", e.what());
    response = error_response(500, "Internal server error");
  }
  waiter->reply(std::move(response));
}

void Api::notify(const std::vector<std::string>& agent_ids) {
  std::vector<std::shared_ptr<Waiter>> woken;
  {
    std::lock_guard lock(waiters_mutex_);
    for (const auto& id : agent_ids) {
      auto [first, last] = waiters_.equal_range(id);
      for (auto it = first; it != last; ++it) woken.push_back(it->second);
    }
  }
  if (woken.empty() || !scheduler_) return;
  // Answer from the event loop, not inside the write that caused it.
  scheduler_(std::chrono::milliseconds(0), [this, woken = std::move(woken)] {
    for (const auto& waiter : woken) {
      if (waiter->done.load()) continue;
      try {
        if (store_.list_orders(waiter->filter).empty()) continue;
        logger()->debug("long-poll for agent {} woken by an order", waiter->filter.agent_id);
        expire(waiter);
      } catch (const std::exception& e) {
        logger()->error("long-poll wake-up failed: {}", e.what());
      }
    }
  });
}

void Api::shutdown() {
  std::vector<std::shared_ptr<Waiter>> all;
  {
    std::lock_guard lock(waiters_mutex_);
    shutting_down_ = true;
    for (auto& [id, waiter] : waiters_) all.push_back(waiter);
  }
  if (!all.empty()) logger()->info("answering {} parked long-poll(s) before stopping", all.size());
  for (const auto& waiter : all) expire(waiter);
}

}  // namespace gigent::server
