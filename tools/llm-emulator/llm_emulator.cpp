#include "llm_emulator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace gigent::llm_emulator {

namespace {

using nlohmann::json;

const std::string kJsonMarker = "[[emulator:json]]";
const std::string kLongMarker = "[[emulator:long]]";

// ---- small helpers ---------------------------------------------------------

std::string utf8_cut(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

std::size_t word_count(const std::string& text) {
  std::istringstream in(text);
  std::size_t words = 0;
  std::string word;
  while (in >> word) ++words;
  return words;
}

std::string padded_counter(std::uint64_t n, std::size_t width) {
  std::string digits = std::to_string(n);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// Text of an Anthropic/OpenAI message content: a string or a list of text blocks.
std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const auto& block : content) {
      if (block.is_object() && block.value("type", "") == "text" && block.contains("text") &&
          block["text"].is_string()) {
        if (!text.empty()) text += "\n";
        text += block["text"].get<std::string>();
      }
    }
  }
  return text;
}

bool valid_content(const json& content) {
  if (content.is_string()) return true;
  if (!content.is_array()) return false;
  for (const auto& block : content) {
    if (!block.is_object() || !block.contains("type") || !block["type"].is_string()) return false;
  }
  return true;
}

// ---- what was asked ----------------------------------------------------------

struct ParsedRequest {
  std::string model;
  long long max_tokens = 0;  // 0: not given (OpenAI)
  std::string last_user_text;
  std::string all_text;  // system + every message, for the input token count
};

// Either a parsed request or the validation error the real API would send.
struct Validation {
  std::optional<ParsedRequest> request;
  std::string error_message;
  std::string error_param;  // OpenAI's error.param
  std::string error_code;   // OpenAI's error.code
};

Validation validate_anthropic(const json& body) {
  Validation v;
  auto reject = [&v](std::string message) {
    v.error_message = std::move(message);
    return v;
  };
  if (!body.is_object()) return reject("Input should be a valid dictionary");
  if (!body.contains("model")) return reject("model: Field required");
  if (!body["model"].is_string()) return reject("model: Input should be a valid string");
  if (!body.contains("max_tokens")) return reject("max_tokens: Field required");
  if (!body["max_tokens"].is_number_integer()) return reject("max_tokens: Input should be a valid integer");
  if (body["max_tokens"].get<long long>() < 1) return reject("max_tokens: Input should be greater than or equal to 1");
  if (!body.contains("messages")) return reject("messages: Field required");
  if (!body["messages"].is_array()) return reject("messages: Input should be a valid list");
  if (body["messages"].empty()) return reject("messages: at least one message is required");
  if (body.contains("temperature")) {
    const auto& t = body["temperature"];
    if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 1) {
      return reject("temperature: Input should be less than or equal to 1");
    }
  }
  ParsedRequest parsed;
  parsed.model = body["model"].get<std::string>();
  parsed.max_tokens = body["max_tokens"].get<long long>();
  if (body.contains("system")) {
    if (!valid_content(body["system"])) return reject("system: Input should be a valid string");
    parsed.all_text = content_text(body["system"]);
  }
  std::size_t index = 0;
  for (const auto& message : body["messages"]) {
    const std::string where = "messages." + std::to_string(index++);
    if (!message.is_object()) return reject(where + ": Input should be a valid dictionary");
    const std::string role = message.value("role", "");
    if (role != "user" && role != "assistant") {
      return reject(where + ".role: Input should be 'user' or 'assistant'");
    }
    if (!message.contains("content") || !valid_content(message["content"])) {
      return reject(where + ".content: Field required");
    }
    const std::string text = content_text(message["content"]);
    parsed.all_text += " " + text;
    if (role == "user") parsed.last_user_text = text;
  }
  v.request = parsed;
  return v;
}

Validation validate_openai(const json& body) {
  Validation v;
  auto reject = [&v](std::string message, std::string param, std::string code) {
    v.error_message = std::move(message);
    v.error_param = std::move(param);
    v.error_code = std::move(code);
    return v;
  };
  if (!body.is_object()) return reject("We could not parse the JSON body of your request.", "", "");
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty()) {
    return reject("you must provide a model parameter", "", "");
  }
  if (!body.contains("messages")) {
    return reject("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  }
  if (!body["messages"].is_array()) {
    return reject("Invalid type for 'messages': expected an array.", "messages", "invalid_type");
  }
  if (body["messages"].empty()) {
    return reject(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        "messages", "empty_array");
  }
  ParsedRequest parsed;
  parsed.model = body["model"].get<std::string>();
  if (body.contains("max_tokens") && !body["max_tokens"].is_null()) {
    if (!body["max_tokens"].is_number_integer() || body["max_tokens"].get<long long>() < 1) {
      return reject("Invalid 'max_tokens': integer below minimum value. Expected a value >= 1.", "max_tokens",
                    "integer_below_min_value");
    }
    parsed.max_tokens = body["max_tokens"].get<long long>();
  }
  if (body.contains("temperature") && !body["temperature"].is_null()) {
    const auto& t = body["temperature"];
    if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 2) {
      return reject("Invalid 'temperature': decimal above maximum value. Expected a value <= 2.", "temperature",
                    "decimal_above_max_value");
    }
  }
  std::size_t index = 0;
  for (const auto& message : body["messages"]) {
    const std::string where = "messages[" + std::to_string(index++) + "]";
    if (!message.is_object()) {
      return reject("Invalid type for '" + where + "': expected an object.", where, "invalid_type");
    }
    const std::string role = message.value("role", "");
    if (role != "system" && role != "developer" && role != "user" && role != "assistant" && role != "tool") {
      return reject("Invalid value for '" + where + ".role'.", where + ".role", "invalid_value");
    }
    if (!message.contains("content") || !(message["content"].is_null() || valid_content(message["content"]))) {
      return reject("Missing required parameter: '" + where + ".content'.", where + ".content",
                    "missing_required_parameter");
    }
    const std::string text = content_text(message["content"]);
    parsed.all_text += " " + text;
    if (role == "user") parsed.last_user_text = text;
  }
  v.request = parsed;
  return v;
}

// ---- what is answered --------------------------------------------------------

struct Reply {
  std::string text;
  bool hit_max_tokens = false;
  long long output_tokens = 0;
};

Reply compose_reply(const ParsedRequest& request) {
  Reply reply;
  if (request.last_user_text.find(kLongMarker) != std::string::npos) {
    // As if the model wrote until max_tokens cut it off.
    const long long budget = request.max_tokens > 0 ? request.max_tokens : 256;
    const long long words = std::clamp<long long>(static_cast<long long>(budget / 1.3), 1, 2000);
    reply.text = "Emulated long reply:";
    for (long long i = 0; i < words; ++i) reply.text += " lorem";
    reply.hit_max_tokens = true;
    reply.output_tokens = budget;
    return reply;
  }
  reply.text = reply_text_for(request.last_user_text, request.model);
  reply.output_tokens = estimate_tokens(reply.text);
  return reply;
}

std::string default_anthropic_error_type(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

std::string default_openai_error_type(int status) {
  if (status == 429) return "requests";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

std::string default_error_message(int status) {
  switch (status) {
    case 400:
      return "Invalid request.";
    case 401:
      return "Invalid authentication.";
    case 402:
      return "Your credit balance is too low to access the API.";
    case 403:
      return "Your API key does not have permission to use the specified resource.";
    case 404:
      return "The requested resource could not be found.";
    case 408:
      return "Request timed out.";
    case 409:
      return "Conflict.";
    case 422:
      return "Unprocessable entity.";
    case 429:
      return "Rate limit exceeded: too many requests. Please retry later.";
    case 529:
      return "Overloaded";
    default:
      return status >= 500 ? "The server had an error while processing your request. Sorry about that!"
                           : "Request failed.";
  }
}

http::Response json_response(int status, const json& body) {
  http::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump();
  return response;
}

http::Response anthropic_error(int status, const std::string& type, const std::string& message,
                               const std::string& request_id) {
  http::Response response = json_response(
      status, {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}, {"request_id", request_id}});
  return response;
}

http::Response openai_error(int status, const std::string& type, const std::string& message, const std::string& param,
                            const std::string& code) {
  return json_response(status, {{"error",
                                 {{"message", message},
                                  {"type", type},
                                  {"param", param.empty() ? json(nullptr) : json(param)},
                                  {"code", code.empty() ? json(nullptr) : json(code)}}}});
}

json anthropic_success(const std::string& id, const ParsedRequest& request, const Reply& reply) {
  return {{"id", id},
          {"type", "message"},
          {"role", "assistant"},
          {"model", request.model},
          {"content", json::array({{{"type", "text"}, {"text", reply.text}}})},
          {"stop_reason", reply.hit_max_tokens ? "max_tokens" : "end_turn"},
          {"stop_sequence", nullptr},
          {"usage",
           {{"input_tokens", estimate_tokens(request.all_text)},
            {"output_tokens", reply.output_tokens},
            {"cache_creation_input_tokens", 0},
            {"cache_read_input_tokens", 0}}}};
}

json openai_success(const std::string& id, const ParsedRequest& request, const Reply& reply) {
  const long long prompt_tokens = estimate_tokens(request.all_text);
  const auto created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return {
      {"id", id},
      {"object", "chat.completion"},
      {"created", created},
      {"model", request.model},
      {"choices",
       json::array(
           {{{"index", 0},
             {"message",
              {{"role", "assistant"}, {"content", reply.text}, {"refusal", nullptr}, {"annotations", json::array()}}},
             {"logprobs", nullptr},
             {"finish_reason", reply.hit_max_tokens ? "length" : "stop"}}})},
      {"usage",
       {{"prompt_tokens", prompt_tokens},
        {"completion_tokens", reply.output_tokens},
        {"total_tokens", prompt_tokens + reply.output_tokens}}},
      {"service_tier", "default"},
      {"system_fingerprint", nullptr}};
}

void add_retry_headers(http::Response& response, const Action& action) {
  if (action.retry_after) response.headers.emplace_back("retry-after", *action.retry_after);
  if (action.retry_after_ms) response.headers.emplace_back("retry-after-ms", *action.retry_after_ms);
  if (action.should_retry) response.headers.emplace_back("x-should-retry", *action.should_retry);
}

std::optional<std::string> optional_string(const json& object, const char* key) {
  if (!object.contains(key) || object[key].is_null()) return std::nullopt;
  const auto& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  throw std::invalid_argument(std::string(key) + " must be a string or number");
}

}  // namespace

// ---- Action ------------------------------------------------------------------

Action Action::from_json(const json& given) {
  const json value = given.is_string() ? json{{"action", given}} : given;  // "ok" is shorthand for {"action":"ok"}
  if (!value.is_object()) throw std::invalid_argument("an action must be an object or a name");
  Action action;
  const auto kind = value.find("action");
  if (kind == value.end() || !kind->is_string()) throw std::invalid_argument("action: name required");
  action.kind = kind->get<std::string>();
  static const std::vector<std::string> kinds = {"ok",      "error",     "rate_limit", "server_error", "overloaded",
                                                 "billing", "malformed", "drop",       "hang",         "invalid_utf8"};
  if (std::find(kinds.begin(), kinds.end(), action.kind) == kinds.end()) {
    throw std::invalid_argument("unknown action \"" + action.kind + "\"");
  }
  if (value.contains("delay_ms")) {
    if (!value["delay_ms"].is_number_integer() || value["delay_ms"].get<int>() < 0) {
      throw std::invalid_argument("delay_ms must be a non-negative integer");
    }
    action.delay_ms = value["delay_ms"].get<int>();
  }
  if (value.contains("status")) {
    if (!value["status"].is_number_integer()) throw std::invalid_argument("status must be an integer");
    action.status = value["status"].get<int>();
  }
  if (action.kind == "error" && (action.status < 400 || action.status > 599)) {
    throw std::invalid_argument("error needs a status between 400 and 599");
  }
  if (value.contains("error_type") && value["error_type"].is_string()) {
    action.error_type = value["error_type"].get<std::string>();
  }
  if (value.contains("message") && value["message"].is_string()) {
    action.message = value["message"].get<std::string>();
  }
  action.retry_after = optional_string(value, "retry_after");
  action.retry_after_ms = optional_string(value, "retry_after_ms");
  action.should_retry = optional_string(value, "should_retry");
  return action;
}

json Action::to_json() const {
  json out = {{"action", kind}};
  if (delay_ms) out["delay_ms"] = delay_ms;
  if (status) out["status"] = status;
  if (!error_type.empty()) out["error_type"] = error_type;
  if (!message.empty()) out["message"] = message;
  if (retry_after) out["retry_after"] = *retry_after;
  if (retry_after_ms) out["retry_after_ms"] = *retry_after_ms;
  if (should_retry) out["should_retry"] = *should_retry;
  return out;
}

// ---- reply text ----------------------------------------------------------------

long long estimate_tokens(const std::string& text) {
  const auto words = word_count(text);
  if (words == 0) return 0;
  return static_cast<long long>(std::ceil(static_cast<double>(words) * 1.3));
}

std::string reply_text_for(const std::string& user_message, const std::string& model) {
  const std::string excerpt = one_line(utf8_cut(user_message, 80));
  const auto words = word_count(user_message);
  if (user_message.find(kJsonMarker) != std::string::npos) {
    return json{{"emulated", true}, {"model", model}, {"reply_to", excerpt}, {"words", words}}.dump(2);
  }
  return "Emulated reply to: " + excerpt + "\n\n(" + std::to_string(words) + " words received; answered by " + model +
         ")";
}

// ---- LlmEmulator -----------------------------------------------------------------

LlmEmulator::LlmEmulator(Options options) : options_(std::move(options)) {}

LlmEmulator::~LlmEmulator() {
  stop();
}

void LlmEmulator::start() {
  http::ServerOptions server_options;
  server_options.host = options_.host;
  server_options.port = options_.port;
  server_options.threads = options_.threads;
  server_ = std::make_unique<http::Server>(server_options, [this](http::Request&& request, http::Reply reply) {
    handle(std::move(request), std::move(reply));
  });
  server_->start();
}

void LlmEmulator::stop() {
  std::vector<http::Reply> released;
  {
    std::lock_guard lock(mutex_);
    released.swap(hanging_);
  }
  released.clear();  // dropping a Reply closes its connection
  if (server_) server_->stop();
}

std::uint16_t LlmEmulator::port() const {
  return server_ ? server_->port() : 0;
}

std::string LlmEmulator::url() const {
  return "http://" + options_.host + ":" + std::to_string(port());
}

void LlmEmulator::push(Action action) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(action));
}

void LlmEmulator::push(const std::vector<Action>& actions) {
  std::lock_guard lock(mutex_);
  queue_.insert(queue_.end(), actions.begin(), actions.end());
}

void LlmEmulator::set_default(Action action) {
  std::lock_guard lock(mutex_);
  default_action_ = std::move(action);
}

void LlmEmulator::reset() {
  std::vector<http::Reply> released;
  {
    std::lock_guard lock(mutex_);
    queue_.clear();
    default_action_ = Action{};
    requests_ = 0;
    successes_ = 0;
    by_api_.clear();
    by_outcome_.clear();
    recorded_.clear();
    released.swap(hanging_);
  }
}

std::size_t LlmEmulator::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

json LlmEmulator::stats() const {
  std::lock_guard lock(mutex_);
  return {{"requests", requests_},
          {"successes", successes_},
          {"by_api", by_api_},
          {"by_outcome", by_outcome_},
          {"queued", queue_.size()},
          {"hanging", hanging_.size()},
          {"default", default_action_.to_json()}};
}

int LlmEmulator::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

int LlmEmulator::successes() const {
  std::lock_guard lock(mutex_);
  return successes_;
}

std::vector<RecordedRequest> LlmEmulator::recorded_requests() const {
  std::lock_guard lock(mutex_);
  return recorded_;
}

Action LlmEmulator::next_action() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return default_action_;
  Action action = std::move(queue_.front());
  queue_.pop_front();
  return action;
}

void LlmEmulator::count(const std::string& api, const std::string& outcome) {
  std::lock_guard lock(mutex_);
  by_outcome_[outcome]++;
  if (outcome == "ok" || outcome == "invalid_utf8") successes_++;
  (void)api;
}

void LlmEmulator::handle(http::Request&& request, http::Reply reply) {
  if (request.path.rfind("/_emulator/", 0) == 0) {
    handle_control(std::move(request), std::move(reply));
  } else if (request.path == "/v1/messages" && request.method == "POST") {
    handle_api("anthropic", std::move(request), std::move(reply));
  } else if (request.path == "/v1/chat/completions" && request.method == "POST") {
    handle_api("openai", std::move(request), std::move(reply));
  } else {
    reply(anthropic_error(404, "not_found_error", "Not Found", "req_emu_not_found"));
  }
}

void LlmEmulator::handle_control(http::Request&& request, http::Reply reply) {
  try {
    if (request.path == "/_emulator/stats" && request.method == "GET") {
      reply(json_response(200, stats()));
    } else if (request.path == "/_emulator/reset" && request.method == "POST") {
      reset();
      reply(json_response(200, {{"reset", true}}));
    } else if (request.path == "/_emulator/script" && request.method == "POST") {
      json body = json::parse(request.body);
      if (body.is_object() && body.contains("actions")) body = body["actions"];
      if (!body.is_array()) throw std::invalid_argument("the script must be a JSON list of actions");
      std::vector<Action> actions;
      for (const auto& item : body) actions.push_back(Action::from_json(item));
      {
        std::lock_guard lock(mutex_);
        queue_.assign(actions.begin(), actions.end());  // a new script replaces the old one
      }
      reply(json_response(200, {{"queued", actions.size()}}));
    } else if (request.path == "/_emulator/default" && request.method == "POST") {
      set_default(Action::from_json(json::parse(request.body)));
      reply(json_response(200, {{"default", Action::from_json(json::parse(request.body)).to_json()}}));
    } else {
      reply(http::json_error(404, "unknown emulator control route " + request.method + " " + request.path));
    }
  } catch (const std::exception& error) {
    reply(http::json_error(400, error.what()));
  }
}

void LlmEmulator::handle_api(const std::string& api, http::Request&& request, http::Reply reply) {
  const bool anthropic = api == "anthropic";
  std::uint64_t serial = 0;
  {
    std::lock_guard lock(mutex_);
    ++requests_;
    by_api_[api]++;
    serial = next_id_++;
    recorded_.push_back({api, request.path, request.headers, request.body});
  }
  const std::string request_id = (anthropic ? "req_01EMU" : "req_emu") + padded_counter(serial, 16);
  auto with_id = [&](http::Response response) {
    response.headers.emplace_back(anthropic ? "request-id" : "x-request-id", request_id);
    if (!anthropic) response.headers.emplace_back("openai-processing-ms", "1");
    return response;
  };
  auto send_now = [&](const std::string& outcome, http::Response response) {
    count(api, outcome);
    reply(with_id(std::move(response)));
  };

  // Authentication first, as the real APIs do.
  if (anthropic) {
    // The API takes the key as x-api-key; current SDKs send it as a Bearer token.
    std::optional<std::string> key = request.header("x-api-key");
    const auto authorization = request.header("authorization");
    if ((!key || key->empty()) && authorization && authorization->rfind("Bearer ", 0) == 0) {
      key = authorization->substr(7);
    }
    if (!options_.expected_api_key.empty() && (!key || key->empty())) {
      return send_now("unauthorized",
                      anthropic_error(401, "authentication_error", "x-api-key header is required", request_id));
    }
    if (!options_.expected_api_key.empty() && *key != options_.expected_api_key) {
      return send_now("unauthorized", anthropic_error(401, "authentication_error", "invalid x-api-key", request_id));
    }
    if (!request.header("anthropic-version")) {
      return send_now("invalid_request", anthropic_error(400, "invalid_request_error",
                                                         "anthropic-version: header is required", request_id));
    }
  } else if (!options_.expected_api_key.empty()) {
    const auto authorization = request.header("authorization");
    const std::string prefix = "Bearer ";
    if (!authorization || authorization->rfind(prefix, 0) != 0) {
      return send_now("unauthorized", openai_error(401, "invalid_request_error",
                                                   "You didn't provide an API key. You need to provide your API key "
                                                   "in an Authorization header using Bearer auth (i.e. "
                                                   "Authorization: Bearer YOUR_KEY).",
                                                   "", ""));
    }
    if (authorization->substr(prefix.size()) != options_.expected_api_key) {
      // The real API echoes a masked key; the emulator never echoes it at all.
      return send_now("unauthorized",
                      openai_error(401, "invalid_request_error", "Incorrect API key provided.", "", "invalid_api_key"));
    }
  }

  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return send_now(
        "invalid_request",
        anthropic
            ? anthropic_error(400, "invalid_request_error",
                              "There was an error parsing the body of your request: not valid JSON", request_id)
            : openai_error(400, "invalid_request_error", "We could not parse the JSON body of your request.", "", ""));
  }
  const Validation validation = anthropic ? validate_anthropic(body) : validate_openai(body);
  if (!validation.request) {
    return send_now("invalid_request",
                    anthropic ? anthropic_error(400, "invalid_request_error", validation.error_message, request_id)
                              : openai_error(400, "invalid_request_error", validation.error_message,
                                             validation.error_param, validation.error_code));
  }
  const ParsedRequest& parsed = *validation.request;

  const Action action = next_action();
  if (action.kind == "hang") {
    count(api, "hang");
    std::lock_guard lock(mutex_);
    hanging_.push_back(std::move(reply));  // never answered; closed on reset/stop
    return;
  }

  std::string outcome = action.kind;
  http::Response response;
  auto api_error = [&](int status, std::string type, std::string message, std::string code) {
    if (!action.error_type.empty()) type = action.error_type;
    if (!action.message.empty()) message = action.message;
    return anthropic ? anthropic_error(status, type, message, request_id)
                     : openai_error(status, type, message, "", code);
  };
  const std::string id = (anthropic ? "msg_01EMU" : "chatcmpl-EMU") + padded_counter(serial, 16);
  if (action.kind == "ok" || action.kind == "drop") {
    const Reply answer = compose_reply(parsed);
    response =
        json_response(200, anthropic ? anthropic_success(id, parsed, answer) : openai_success(id, parsed, answer));
    if (action.kind == "drop") response.truncate_body_at = response.body.size() / 2;
  } else if (action.kind == "invalid_utf8") {
    Reply answer = compose_reply(parsed);
    const std::string placeholder = "@@INVALID_UTF8@@";
    answer.text += " " + placeholder;
    response =
        json_response(200, anthropic ? anthropic_success(id, parsed, answer) : openai_success(id, parsed, answer));
    // Raw bytes no UTF-8 decoder accepts: a lone continuation byte, 0xFF, an overlong '/'.
    const auto at = response.body.find(placeholder);
    response.body.replace(at, placeholder.size(), "bad\x80 bytes\xFF here\xC0\xAF end");
  } else if (action.kind == "malformed") {
    response = json_response(200, {});
    response.body = anthropic ? R"({"id":")" + id + R"(","type":"message","content":[{"type":"text","text":"cut sh)"
                              : R"({"id":")" + id + R"(","object":"chat.completion","choices":[{"index":0,"mess)";
  } else if (action.kind == "rate_limit") {
    response = api_error(429, anthropic ? "rate_limit_error" : "requests",
                         anthropic ? "Number of request tokens has exceeded your per-minute rate limit"
                                   : "Rate limit reached for requests. Please try again later.",
                         "rate_limit_exceeded");
  } else if (action.kind == "server_error") {
    response = api_error(500, anthropic ? "api_error" : "server_error",
                         anthropic ? "Internal server error"
                                   : "The server had an error while processing your request. Sorry about that!",
                         "");
  } else if (action.kind == "overloaded") {
    response = anthropic
                   ? api_error(529, "overloaded_error", "Overloaded", "")
                   : api_error(503, "server_error", "The engine is currently overloaded, please try again later", "");
  } else if (action.kind == "billing") {
    response = anthropic
                   ? api_error(402, "billing_error", "Your credit balance is too low to access the Anthropic API.", "")
                   : api_error(429, "insufficient_quota",
                               "You exceeded your current quota, please check your plan and "
                               "billing details.",
                               "insufficient_quota");
  } else {  // "error": any status, with the API's usual type for it
    outcome = "error_" + std::to_string(action.status);
    response =
        api_error(action.status,
                  anthropic ? default_anthropic_error_type(action.status) : default_openai_error_type(action.status),
                  default_error_message(action.status), !anthropic && action.status == 401 ? "invalid_api_key" : "");
  }
  add_retry_headers(response, action);
  response = with_id(std::move(response));

  if (action.delay_ms <= 0) {
    count(api, outcome);
    reply(std::move(response));
    return;
  }
  server_->run_after(std::chrono::milliseconds(action.delay_ms),
                     [this, api, outcome, reply = std::move(reply), response = std::move(response)]() mutable {
                       count(api, outcome);
                       reply(std::move(response));
                     });
}

}  // namespace gigent::llm_emulator
