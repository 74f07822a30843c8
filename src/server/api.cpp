#include "server/api.h"

#include "server/onchain_routes.h"
#include "server/static_files.h"
#include "server/web_page.h"

#include <algorithm>
#include <iterator>

#include "server/api_response.h"
#include "server/fields.h"

namespace gigent::server {

Api::Api(Store& store, const ApiOptions& options)
    : store_(store),
      options_(options),
      reads_("api-read", options.read_threads),
      writes_("api-write", options.write_threads) {
  // Orders placed or changed through another process on the same database.
  store_.set_order_listener([this](const std::vector<std::string>& agent_ids) { wake(agent_ids); });
  store_.set_missed_listener([this] { resync(); });
}

Api::~Api() {
  shutdown();
}

void Api::set_scheduler(Scheduler scheduler) {
  scheduler_ = std::move(scheduler);
}

namespace {

// POST /api/orders/wait writes nothing: it runs on the read pool, so a write
// waiting for the database lock never delays a wait.
bool is_multi_wait(const http::Request& request) {
  if (request.method != "POST") return false;
  auto parts = split_path(request.path);
  return parts.size() == 3 && parts[0] == "api" && parts[1] == "orders" && parts[2] == "wait";
}

}  // namespace

void Api::handle(http::Request&& request, http::Reply reply) {
  const bool read =
      request.method == "GET" || request.method == "HEAD" || request.method == "OPTIONS" || is_multi_wait(request);
  std::function<void()> task = [this, request = std::move(request), reply]() mutable { respond(request, reply); };
  if (!(read ? reads_ : writes_).post(task)) reply(error_response(503, "The server is shutting down"));
}

void Api::respond(http::Request& request, http::Reply& reply) {
  bool parked = false;
  http::Response response;
  try {
    response = route(request, reply, parked);
  } catch (const ApiError& e) {
    response = error_response(e.status, e.message, e.extra);
  } catch (const std::exception& e) {
    api_logger()->error("{} {} failed: {}", request.method, request.path, e.what());
    response = error_response(500, "Internal server error");
  } catch (...) {
    api_logger()->error("{} {} failed with an unknown exception", request.method, request.path);
    response = error_response(500, "Internal server error");
  }
  if (parked) return;
  api_logger()->debug("{} {} -> {}", request.method, request.target, response.status);
  add_cors_headers(response);
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
    r.headers = {{"Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, X-API-Key, If-None-Match"}};
    return r;
  }
  // Each route names the methods it answers; a known path with another method
  // is a 405.
  auto parts = split_path(request.path);
  const std::size_t n = parts.size();
  const std::string resource = n > 1 && parts[0] == "api" ? parts[1] : std::string();
  if (n == 2 && resource == "health") {
    allow(request, {"GET"});
    return health();
  }
  if (n == 2 && resource == "categories") {
    allow(request, {"GET"});
    return categories();
  }
  if (auto onchain = onchain_route(parts)) {
    http::Response r;
    r.status = 501;
    r.body = onchain_error_body(method, *onchain);
    return r;
  }
  if (n == 0 || parts[0] != "api") {
    // The built-in page owns /_gigent/ always, and / unless a --static front end does.
    if (method == "GET")
      if (auto page = serve_web_page(request.path, !options_.static_files)) return std::move(*page);
    if (options_.static_files && method == "GET") return options_.static_files->serve(request.path);
    fail(404, "Not found: " + method + " " + request.path);
  }
  if (resource == "reviews" && n >= 2 && n <= 4) return route_reviews(request, parts);
  if (resource == "marketplace") return route_marketplace(request, parts);
  if (resource == "communications" && n >= 2 && n <= 5) return route_communications(request, parts);
  if (resource == "agents" && n >= 2 && n <= 4) return route_agents(request, parts);
  if (resource == "gigs" && n >= 2 && n <= 3) return route_gigs(request, parts);
  if (resource == "orders" && n >= 2 && n <= 4) return route_orders(request, parts, reply, parked);
  fail(404, "Not found: " + method + " " + request.path);
}

http::Response Api::route_agents(const http::Request& request, const std::vector<std::string>& parts) {
  const std::size_t n = parts.size();
  if (n == 2) {
    allow(request, {"GET"});
    return list_agents(request);
  }
  if (n == 3 && (parts[2] == "register" || parts[2] == "me" || parts[2] == "rotate-key")) {
    allow(request, {parts[2] == "me" ? "GET" : "POST"});
    if (parts[2] == "register") return register_agent(request);
    return parts[2] == "me" ? get_me(request) : rotate_key(request);
  }
  if (n == 3) {
    allow(request, {"GET", "PATCH"});
    return request.method == "GET" ? get_agent(parts[2]) : patch_agent(request, parts[2]);
  }
  if (parts[3] == "heartbeat") {
    allow(request, {"POST"});
    return heartbeat(request, parts[2]);
  }
  fail(404, "Not found: " + request.method + " " + request.path);
}

http::Response Api::route_gigs(const http::Request& request, const std::vector<std::string>& parts) {
  if (parts.size() == 2) {
    allow(request, {"GET", "POST"});
    return request.method == "GET" ? list_gigs(request) : create_gig(request);
  }
  allow(request, {"GET", "PATCH", "DELETE"});
  if (request.method == "DELETE") return delete_gig(request, parts[2]);
  return request.method == "GET" ? get_gig(parts[2]) : patch_gig(request, parts[2]);
}

http::Response Api::route_orders(const http::Request& request, const std::vector<std::string>& parts,
                                 http::Reply& reply, bool& parked) {
  const std::size_t n = parts.size();
  const bool get = request.method == "GET";
  if (n == 2) {
    allow(request, {"GET", "POST"});
    return get ? list_orders(request, reply, parked) : place_order(request);
  }
  const std::string& id = parts[2];
  if (n == 3 && id == "wait") {
    // GET stays the order route, as before the extension.
    allow(request, {"GET", "POST"});
    return get ? get_order(request, id) : multi_wait(request, reply, parked);
  }
  if (n == 3) {
    allow(request, {"GET"});
    return get_order(request, id);
  }
  if (parts[3] == "status") {
    allow(request, {"PATCH"});
    return change_status(request, id);
  }
  if (parts[3] == "deliver") {
    allow(request, {"POST"});
    return deliver(request, id);
  }
  if (parts[3] == "messages") {
    allow(request, {"GET", "POST"});
    return get ? list_messages(request, id) : post_message(request, id);
  }
  fail(404, "Not found: " + request.method + " " + request.path);
}

std::string Api::key_agent(const http::Request& request) {
  auto key = request.header("x-api-key");
  if (!key || key->empty()) missing_key(request);
  auto agent = store_.agent_for_key(*key);
  if (!agent) fail(401, "Invalid API key");
  return *agent;
}

std::string Api::begin_read(const http::Request& request) {
  if (options_.allow_unauthenticated) return {};
  return key_agent(request);
}

Api::Write Api::begin_write(const http::Request& request, const char* body_field) {
  Write write;
  if (!options_.allow_unauthenticated) {
    // The key is checked before the body is read: a keyless write is a 401
    // whatever it carries.
    write.actor = key_agent(request);
    write.body = parse_body(request);
    return write;
  }
  // Unauthenticated mode: a valid key still names the agent; a wrong one is
  // ignored, as the deployed service does on routes where the key is optional.
  write.body = parse_body(request);
  if (auto key = request.header("x-api-key"); key && !key->empty())
    if (auto agent = store_.agent_for_key(*key)) write.actor = *agent;
  if (write.actor.empty()) write.actor = optional_string(write.body, body_field).value_or("");
  return write;
}

std::string Api::require_key(const http::Request& request) {
  return key_agent(request);
}

std::string Api::read_as(const http::Request& request) {
  if (!options_.allow_unauthenticated) return require_key(request);
  if (auto key = request.header("x-api-key"); key && !key->empty())
    if (auto agent = store_.agent_for_key(*key)) return *agent;
  return "";
}

void Api::missing_key(const http::Request& request) {
  const bool write = request.method != "GET";
  if (write) warn_keyless_writer(request);
  std::string hint = write ? "This gigent-server requires the X-API-Key header (the key "
                             "registration returned) on "
                             "every write. A client that never sends one, such as the "
                             "deployed service's "
                             "TypeScript runtime, needs the server started with "
                             "--allow-unauthenticated."
                           : "Add header: X-API-Key: sk_... (the key registration returned)";
  fail(401, "Missing API key", {{"hint", hint}, {"docs", "Register at POST /api/agents/register to get an API key"}});
}

// Once per client address and kKeylessWarnEvery, so a client retrying every
// second does not flood the log, while a new client is still reported.
void Api::warn_keyless_writer(const http::Request& request) {
  constexpr auto kKeylessWarnEvery = std::chrono::minutes(10);
  constexpr std::size_t kMaxRemembered = 4096;
  std::string address = request.remote;
  if (auto colon = address.rfind(':'); colon != std::string::npos && address.find(':') == colon)
    address.resize(colon);  // "1.2.3.4:port"; an IPv6 "[::1]:port" keeps its port
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(keyless_mutex_);
    auto [it, inserted] = keyless_warned_.try_emplace(address, now);
    if (!inserted) {
      if (now - it->second < kKeylessWarnEvery) return;
      it->second = now;
    }
    if (keyless_warned_.size() > kMaxRemembered) keyless_warned_.clear();
  }
  api_logger()->warn(
      "client {} is writing without an X-API-Key ({} {}); every such write "
      "gets a 401. Give the client its agent's "
      "key, or start gigent-server with --allow-unauthenticated for clients "
      "that never send one (the deployed "
      "TypeScript runtime). Logged once per client address every 10 minutes.",
      address, request.method, request.path);
}

}  // namespace gigent::server
