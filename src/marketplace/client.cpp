#include "marketplace/client.h"

#include <cctype>

#include "metrics/runtime_metrics.h"

namespace gigent::marketplace {

MarketplaceClient::MarketplaceClient(Endpoint endpoint, std::shared_ptr<http::Transport> transport)
    : endpoint_(std::move(endpoint)), transport_(std::move(transport)) {
  key_state_->key = endpoint_.api_key;
  while (!endpoint_.base_url.empty() && endpoint_.base_url.back() == '/') endpoint_.base_url.pop_back();
}

MarketplaceClient::MarketplaceClient(Endpoint endpoint, const Cancellation* cancel)
    : MarketplaceClient(std::move(endpoint), std::make_shared<http::ThreadClientTransport>(cancel)) {}

std::string describe_error(int status, const std::string& raw_body, const nlohmann::json& parsed) {
  std::string text;
  if (parsed.is_object() && parsed.contains("error")) {
    const auto& e = parsed["error"];
    text = e.is_string() ? e.get<std::string>() : e.dump();
  } else {
    // The deployed service answers some errors with an HTML page: keep a
    // short printable excerpt so the log still says something useful.
    for (char c : raw_body.substr(0, 160)) text.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
    if (text.empty()) text = "empty body";
  }
  return "HTTP " + std::to_string(status) + ": " + text;
}

std::string MarketplaceClient::api_key() const {
  std::lock_guard lock(key_state_->mutex);
  return key_state_->key;
}

void MarketplaceClient::use_key(const std::string& key) {
  std::lock_guard lock(key_state_->mutex);
  key_state_->key = key;
}

ApiResult MarketplaceClient::call(const std::string& method, const std::string& path, const nlohmann::json* body,
                                  std::chrono::milliseconds timeout) {
  std::string key = api_key();
  ApiResult result = call_once(method, path, body, timeout, key);
  if (result.status != 401 || !endpoint_.reload_key || key.empty()) return result;
  std::string fresh = endpoint_.reload_key();
  if (fresh.empty() || fresh == key) return result;
  {
    std::lock_guard lock(key_state_->mutex);
    key_state_->key = fresh;
  }
  return call_once(method, path, body, timeout, fresh);
}

ApiResult MarketplaceClient::call_once(const std::string& method, const std::string& path, const nlohmann::json* body,
                                       std::chrono::milliseconds timeout, const std::string& key) {
  http::ClientRequest request;
  request.method = method;
  request.url = endpoint_.base_url + path;
  request.total_timeout = timeout;
  request.connect_timeout = std::min(timeout, std::chrono::milliseconds(5000));
  request.max_response_bytes = 16u << 20;
  request.headers.push_back({"Accept", "application/json"});
  if (!key.empty()) request.headers.push_back({"X-API-Key", key});
  if (body) {
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  http::ClientResult raw = transport_->perform(request);
  ApiResult result;
  if (!raw.ok()) {
    result.error = raw.error;
    result.cancelled = raw.cancelled;
    result.too_large = raw.too_large;
    if (!raw.cancelled) metrics::count_backend_error(method, path, 0);  // a shutdown is no backend error
    return result;
  }
  result.status = raw.response.status;
  result.body = nlohmann::json::parse(raw.response.body, nullptr, /*allow_exceptions=*/false);
  if (result.body.is_discarded()) result.body = nullptr;
  if (result.status < 200 || result.status >= 300) {
    result.error = describe_error(result.status, raw.response.body, result.body);
  } else if (result.body.is_null()) {
    result.error = "HTTP " + std::to_string(result.status) + ": response is not JSON";
  } else if (!result.body.is_object() && !result.body.is_array()) {
    // Every Gigent answer is an object (or, for some list versions, an array).
    result.error = "HTTP " + std::to_string(result.status) + ": unexpected response (" + result.body.type_name() +
                   ", not a JSON object)";
  }
  if (!result.ok()) metrics::count_backend_error(method, path, result.status);
  return result;
}

ApiResult MarketplaceClient::health() {
  return call("GET", "/api/health", nullptr, endpoint_.timeout);
}

ApiResult MarketplaceClient::register_agent(const nlohmann::json& agent) {
  return call("POST", "/api/agents/register", &agent, endpoint_.timeout);
}

ApiResult MarketplaceClient::heartbeat(const std::string& agent_id) {
  nlohmann::json empty = nlohmann::json::object();
  return call("POST", "/api/agents/" + http::url_encode(agent_id) + "/heartbeat", &empty, endpoint_.timeout);
}

ApiResult MarketplaceClient::get_agent(const std::string& agent_id) {
  return call("GET", "/api/agents/" + http::url_encode(agent_id), nullptr, endpoint_.timeout);
}

ApiResult MarketplaceClient::get_me() {
  return call("GET", "/api/agents/me", nullptr, endpoint_.timeout);
}

ApiResult MarketplaceClient::list_agents_by_owner(const std::string& owner_wallet, Page page) {
  return call("GET",
              "/api/agents?owner_wallet=" + http::url_encode(owner_wallet) + "&limit=" + std::to_string(page.limit) +
                  "&offset=" + std::to_string(page.offset),
              nullptr, endpoint_.timeout);
}

ApiResult MarketplaceClient::update_agent(const std::string& agent_id, const nlohmann::json& changes) {
  return call("PATCH", "/api/agents/" + http::url_encode(agent_id), &changes, endpoint_.timeout);
}

ApiResult MarketplaceClient::rotate_key() {
  nlohmann::json empty = nlohmann::json::object();
  return call("POST", "/api/agents/rotate-key", &empty, endpoint_.timeout);
}

ApiResult MarketplaceClient::get_gig(const std::string& gig_id) {
  return call("GET", "/api/gigs/" + http::url_encode(gig_id), nullptr, endpoint_.timeout);
}

ApiResult MarketplaceClient::list_gigs(const std::string& agent_id, Page page) {
  return call("GET",
              "/api/gigs?agent_id=" + http::url_encode(agent_id) + "&limit=" + std::to_string(page.limit) +
                  "&offset=" + std::to_string(page.offset),
              nullptr, endpoint_.timeout);
}

ApiResult MarketplaceClient::create_gig(const nlohmann::json& gig) {
  return call("POST", "/api/gigs", &gig, endpoint_.timeout);
}

ApiResult MarketplaceClient::update_gig(const std::string& gig_id, const nlohmann::json& changes) {
  return call("PATCH", "/api/gigs/" + http::url_encode(gig_id), &changes, endpoint_.timeout);
}

ApiResult MarketplaceClient::list_orders(const std::string& agent_id, const std::string& role,
                                         const std::string& status, Page page, int wait_seconds) {
  std::string path = "/api/orders?agent_id=" + http::url_encode(agent_id) + "&role=" + http::url_encode(role);
  if (!status.empty()) path += "&status=" + http::url_encode(status);
  path += "&limit=" + std::to_string(page.limit) + "&offset=" + std::to_string(page.offset);
  auto timeout = endpoint_.timeout;
  if (wait_seconds > 0) {
    path += "&wait=" + std::to_string(wait_seconds);
    timeout += std::chrono::seconds(wait_seconds);
  }
  return call("GET", path, nullptr, timeout);
}

ApiResult MarketplaceClient::wait_for_orders(const nlohmann::json& request) {
  auto timeout = endpoint_.timeout;
  if (auto wait = request.find("wait"); wait != request.end() && wait->is_number_integer())
    timeout += std::chrono::seconds(wait->get<int>());
  return call("POST", "/api/orders/wait", &request, timeout);
}

ApiResult MarketplaceClient::get_order(const std::string& order_id) {
  return call("GET", "/api/orders/" + http::url_encode(order_id), nullptr, endpoint_.timeout);
}

ApiResult MarketplaceClient::place_order(const nlohmann::json& order) {
  return call("POST", "/api/orders", &order, endpoint_.timeout);
}

ApiResult MarketplaceClient::set_order_status(const std::string& order_id, const std::string& status,
                                              const std::string& agent_id) {
  nlohmann::json body = {{"status", status}, {"agent_id", agent_id}};
  return call("PATCH", "/api/orders/" + http::url_encode(order_id) + "/status", &body, endpoint_.timeout);
}

ApiResult MarketplaceClient::deliver(const std::string& order_id, const std::string& agent_id,
                                     const nlohmann::json& delivery_data) {
  nlohmann::json body = {{"agent_id", agent_id}, {"delivery_data", delivery_data}};
  return call("POST", "/api/orders/" + http::url_encode(order_id) + "/deliver", &body, endpoint_.timeout);
}

ApiResult MarketplaceClient::post_message(const std::string& order_id, const std::string& sender_id,
                                          const std::string& content) {
  return post_message(order_id, sender_id, content, "text");
}

ApiResult MarketplaceClient::post_message(const std::string& order_id, const std::string& sender_id,
                                          const std::string& content, const std::string& message_type) {
  nlohmann::json body = {{"sender_id", sender_id}, {"content", content}, {"message_type", message_type}};
  return call("POST", "/api/orders/" + http::url_encode(order_id) + "/messages", &body, endpoint_.timeout);
}

std::string string_field(const nlohmann::json& obj, const std::string& key, const std::string& fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

nlohmann::json decode_embedded_json(const nlohmann::json& value) {
  if (!value.is_string()) return value;
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty()) return nullptr;
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return value;
  return parsed;
}

}  // namespace gigent::marketplace
