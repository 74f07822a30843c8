#pragma once
// Speaks the Gigent REST API (../shared/GIGENT_API.md) and nothing else: no
// retries, no policy. Works against gigent-server and the deployed Node
// service, whose error bodies are sometimes HTML.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.h"

namespace gigent::marketplace {

struct Endpoint {
  std::string base_url;  // "http://localhost:3000", no trailing slash
  std::string api_key;   // sent as X-API-Key when not empty
  std::chrono::milliseconds timeout{15000};
  // When set, a 401 makes the client ask it for the key again (the daemon
  // re-reads .gigent-credentials) and repeat the request once with a new key,
  // so `gigent-runtime rotate-key` reaches a running daemon without a restart.
  // Returns "" when it has no usable key. A refused request had no effect, so
  // repeating it is safe even for a POST.
  std::function<std::string()> reload_key = nullptr;
};

struct ApiResult {
  int status = 0;          // 0: no HTTP response (connection refused, timeout, ...)
  nlohmann::json body;     // parsed JSON, or null when the body was not JSON
  std::string error;       // empty on 2xx; otherwise what went wrong, for logs
  bool cancelled = false;  // the transfer was stopped by its Cancellation (shutdown): never retried
  bool too_large = false;  // the answer passed the size limit (a smaller page may fit)
  bool ok() const { return status >= 200 && status < 300 && error.empty(); }
  bool transport_failed() const { return status == 0; }
  // A 2xx whose body is not the JSON promised (a proxy's page, a cut-off body)
  // is transient too; callers that change state resolve a repeat by reading back.
  bool retryable() const {
    return status == 0 || status == 408 || status == 429 || status >= 500 ||
           (status >= 200 && status < 300 && !error.empty());
  }
};

struct Page {
  int limit = 100;
  int offset = 0;
};

class MarketplaceClient {
 public:
  MarketplaceClient(Endpoint endpoint, std::shared_ptr<http::Transport> transport);
  // Over this thread's libcurl client (http::this_thread_client()), whose
  // transfers stop when `cancel` fires.
  MarketplaceClient(Endpoint endpoint, const Cancellation* cancel = nullptr);

  ApiResult health();
  ApiResult register_agent(const nlohmann::json& agent);
  ApiResult heartbeat(const std::string& agent_id);
  ApiResult get_agent(const std::string& agent_id);
  // The key's own agent with its gigs (every status on gigent-server).
  ApiResult get_me();
  ApiResult list_agents_by_owner(const std::string& owner_wallet, Page page);
  ApiResult update_agent(const std::string& agent_id, const nlohmann::json& changes);
  ApiResult rotate_key();
  ApiResult list_gigs(const std::string& agent_id, Page page);
  ApiResult get_gig(const std::string& gig_id);
  ApiResult create_gig(const nlohmann::json& gig);
  ApiResult update_gig(const std::string& gig_id, const nlohmann::json& changes);
  // role "seller" | "buyer"; status may be empty; wait_seconds > 0 asks for a long-poll.
  ApiResult list_orders(const std::string& agent_id, const std::string& role, const std::string& status, Page page,
                        int wait_seconds = 0);
  // gigent-server's multi_agent_wait extension: POST /api/orders/wait with
  // `request` ({"agents":[{"agent_id","api_key"}...], "status", "wait",
  // "cursor"}; each agent's key is in the body, none in a header), held up
  // to request["wait"] seconds. See docs/api.md.
  ApiResult wait_for_orders(const nlohmann::json& request);
  ApiResult get_order(const std::string& order_id);
  ApiResult place_order(const nlohmann::json& order);
  ApiResult set_order_status(const std::string& order_id, const std::string& status, const std::string& agent_id);
  ApiResult deliver(const std::string& order_id, const std::string& agent_id, const nlohmann::json& delivery_data);
  ApiResult post_message(const std::string& order_id, const std::string& sender_id, const std::string& content);
  // A message of a given `message_type` (text, delivery, revision_request, system).
  ApiResult post_message(const std::string& order_id, const std::string& sender_id, const std::string& content,
                         const std::string& message_type);

  const Endpoint& endpoint() const { return endpoint_; }
  // The key in use: the endpoint's, or a newer one reload_key returned.
  std::string api_key() const;
  // Sends `key` from now on (a key re-read after another route refused the old one).
  void use_key(const std::string& key);

 private:
  ApiResult call_once(const std::string& method, const std::string& path, const nlohmann::json* body,
                      std::chrono::milliseconds timeout, const std::string& key);
  ApiResult call(const std::string& method, const std::string& path, const nlohmann::json* body,
                 std::chrono::milliseconds timeout);
  Endpoint endpoint_;
  std::shared_ptr<http::Transport> transport_;
  struct KeyState {
    std::mutex mutex;
    std::string key;  // guarded by mutex
  };
  std::shared_ptr<KeyState> key_state_ = std::make_shared<KeyState>();
};

// Turns an API row's JSON-encoded-as-string field (tags, input_data,
// delivery_data) into real JSON; an object or array is returned as is, a
// string that is not JSON is returned as a JSON string.
nlohmann::json decode_embedded_json(const nlohmann::json& value);

// obj[key] when obj is an object and the field is a string, else `fallback`.
// Backend rows are read with this, never with json::value(), which throws
// when a field has an unexpected type.
std::string string_field(const nlohmann::json& obj, const std::string& key, const std::string& fallback = "");

// The "error" text of an error body, or a short, printable excerpt of a non-JSON one.
std::string describe_error(int status, const std::string& raw_body, const nlohmann::json& parsed);

}  // namespace gigent::marketplace
