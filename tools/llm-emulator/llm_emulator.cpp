#include "llm_emulator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "dialect.h"

namespace gigent::llm_emulator {

namespace {

using nlohmann::json;

const std::string kJsonMarker = "[[emulator:json]]";
const std::string kLongMarker = "[[emulator:long]]";

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

Completion compose_completion(const ParsedRequest& request) {
  Completion completion;
  if (request.last_user_text.find(kLongMarker) != std::string::npos) {
    // As if the model wrote until max_tokens cut it off.
    const long long budget = request.max_tokens > 0 ? request.max_tokens : 256;
    const long long words = std::clamp<long long>(static_cast<long long>(budget / 1.3), 1, 2000);
    completion.text = "Emulated long reply:";
    for (long long i = 0; i < words; ++i) completion.text += " lorem";
    completion.hit_max_tokens = true;
    completion.output_tokens = budget;
    return completion;
  }
  completion.text = reply_text_for(request.last_user_text, request.model);
  completion.output_tokens = estimate_tokens(completion.text);
  return completion;
}

// A 200 whose body holds bytes no UTF-8 decoder accepts: a lone continuation
// byte, 0xFF, an overlong '/'.
http::Response invalid_utf8_success(const Dialect& dialect, const std::string& id, const ParsedRequest& request) {
  const std::string placeholder = "@@INVALID_UTF8@@";
  Completion completion = compose_completion(request);
  completion.text += " " + placeholder;
  http::Response response = json_response(200, dialect.success(id, request, completion));
  response.body.replace(response.body.find(placeholder), placeholder.size(), "bad\x80 bytes\xFF here\xC0\xAF end");
  return response;
}

// The response a scripted action makes of a valid request (any kind but "hang").
http::Response scripted_response(const Dialect& dialect, const Action& action, const ParsedRequest& request,
                                 const std::string& id, const std::string& request_id) {
  if (action.kind == "ok" || action.kind == "drop" || action.kind == "stall") {
    Completion completion = compose_completion(request);
    if (action.text) {
      completion.text = *action.text;
      completion.hit_max_tokens = false;
      completion.output_tokens = estimate_tokens(completion.text);
    }
    http::Response response = json_response(200, dialect.success(id, request, completion));
    if (action.kind == "drop") response.truncate_body_at = response.body.size() / 2;
    return response;
  }
  if (action.kind == "invalid_utf8") return invalid_utf8_success(dialect, id, request);
  if (action.kind == "malformed") {
    http::Response response = json_response(200, {});
    response.body = dialect.malformed_body(id);
    return response;
  }
  ApiError error = action.kind == "error"          ? dialect.status_error(action.status)
                   : action.kind == "stream_error" ? dialect.fault("overloaded")
                                                   : dialect.fault(action.kind);
  if (!action.error_type.empty()) error.type = action.error_type;
  if (!action.message.empty()) error.message = action.message;
  http::Response response = dialect.error(error, request_id);
  if (action.retry_after) response.headers.emplace_back("retry-after", *action.retry_after);
  if (action.retry_after_ms) response.headers.emplace_back("retry-after-ms", *action.retry_after_ms);
  if (action.should_retry) response.headers.emplace_back("x-should-retry", *action.should_retry);
  return response;
}

// A streamed answer: the dialect's events, with the action's fault applied
// after `after_events` of them.
http::Response streamed_response(const Dialect& dialect, const Action& action, const ParsedRequest& request,
                                 const std::string& id) {
  const std::string placeholder = "@@INVALID_UTF8@@";
  Completion completion = compose_completion(request);
  if (action.kind == "invalid_utf8") completion.text += " " + placeholder;
  std::vector<std::string> events = dialect.stream_events(id, request, completion);
  const std::size_t cut =
      action.after_events >= 0 ? std::min<std::size_t>(action.after_events, events.size()) : events.size() / 2;
  std::vector<http::StreamChunk> chunks;
  const auto add = [&](std::string data, int delay_ms) {
    chunks.push_back({std::chrono::milliseconds(delay_ms), std::move(data)});
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i == cut && action.kind == "drop") break;
    if (i == cut && action.kind == "stream_error") {
      ApiError error = dialect.fault("overloaded");
      if (!action.error_type.empty()) error.type = action.error_type;
      if (!action.message.empty()) error.message = action.message;
      add(dialect.stream_error_event(error), action.event_delay_ms);
      break;
    }
    if (i == cut && action.kind == "malformed") {
      add("data: {\"type\":\"content_block_delta\",\"delta\":{\"te\n\n", action.event_delay_ms);
      break;
    }
    if (i == cut && action.kind == "stall") add("", action.stall_ms);
    std::string& event = events[i];
    if (const auto at = event.find(placeholder); at != std::string::npos) {
      event.replace(at, placeholder.size(), "bad\x80 bytes\xFF here\xC0\xAF end");
    }
    add(std::move(event), action.event_delay_ms);
  }
  http::Response response;
  response.status = 200;
  response.content_type = "text/event-stream; charset=utf-8";
  response.headers.emplace_back("cache-control", "no-cache");
  response.stream = std::move(chunks);
  response.stream_cut = action.kind == "drop";
  return response;
}

bool streams(const Action& action) {
  static const std::vector<std::string> kinds = {"ok", "drop", "malformed", "invalid_utf8", "stream_error", "stall"};
  return std::find(kinds.begin(), kinds.end(), action.kind) != kinds.end();
}

std::string outcome_of(const Action& action) {
  return action.kind == "error" ? "error_" + std::to_string(action.status) : action.kind;
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

// ---- shared by both dialects -------------------------------------------------------

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

std::vector<std::string> stream_pieces(const std::string& text) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  int spaces = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ' && ++spaces % 3 == 0) {
      pieces.push_back(text.substr(start, i + 1 - start));
      start = i + 1;
    }
  }
  if (start < text.size() || pieces.empty()) pieces.push_back(text.substr(start));
  return pieces;
}

std::string sse_event(const std::string& name, const json& data) {
  std::string out;
  if (!name.empty()) out += "event: " + name + "\n";
  out += "data: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
  return out;
}

http::Response json_response(int status, const json& body) {
  http::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump();
  return response;
}

std::string padded_serial(std::uint64_t serial) {
  std::string digits = std::to_string(serial);
  if (digits.size() < 16) digits.insert(0, 16 - digits.size(), '0');
  return digits;
}

// ---- Action ------------------------------------------------------------------

Action Action::from_json(const json& given) {
  const json value = given.is_string() ? json{{"action", given}} : given;  // "ok" is shorthand for {"action":"ok"}
  if (!value.is_object()) throw std::invalid_argument("an action must be an object or a name");
  Action action;
  const auto kind = value.find("action");
  if (kind == value.end() || !kind->is_string()) throw std::invalid_argument("action: name required");
  action.kind = kind->get<std::string>();
  static const std::vector<std::string> kinds = {"ok",         "error",        "rate_limit",   "server_error",
                                                 "overloaded", "billing",      "malformed",    "drop",
                                                 "hang",       "invalid_utf8", "stream_error", "stall"};
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
  for (auto [key, field] : {std::pair{"stall_ms", &action.stall_ms}, std::pair{"after_events", &action.after_events},
                            std::pair{"event_delay_ms", &action.event_delay_ms}}) {
    if (!value.contains(key)) continue;
    if (!value[key].is_number_integer() || value[key].get<long long>() < 0 || value[key].get<long long>() > 3600000) {
      throw std::invalid_argument(std::string(key) + " must be an integer from 0 to 3600000");
    }
    *field = value[key].get<int>();
  }
  action.retry_after = optional_string(value, "retry_after");
  action.retry_after_ms = optional_string(value, "retry_after_ms");
  action.should_retry = optional_string(value, "should_retry");
  action.text = optional_string(value, "text");
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
  if (kind == "stall") out["stall_ms"] = stall_ms;
  if (after_events >= 0) out["after_events"] = after_events;
  if (event_delay_ms) out["event_delay_ms"] = event_delay_ms;
  if (text) out["text"] = *text;
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

// Requests received and not yet answered. The count drops just before the
// answer is written, so a client that sends its next request after reading an
// answer never sees the two overlap.
struct LlmEmulator::Concurrency {
  std::atomic<int> in_flight{0};
  std::atomic<int> peak{0};

  void enter() {
    const int now = ++in_flight;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
};

namespace {

// One request's place in the in-flight count, given back when it is answered
// or, for a request never answered, when its connection is dropped.
class InFlight {
 public:
  explicit InFlight(std::shared_ptr<LlmEmulator::Concurrency> concurrency) : concurrency_(std::move(concurrency)) {
    concurrency_->enter();
  }
  ~InFlight() { finish(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  void finish() {
    if (!done_.exchange(true)) --concurrency_->in_flight;
  }

 private:
  std::shared_ptr<LlmEmulator::Concurrency> concurrency_;
  std::atomic<bool> done_{false};
};

}  // namespace

LlmEmulator::LlmEmulator(Options options)
    : options_(std::move(options)), concurrency_(std::make_shared<Concurrency>()) {}

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
    streamed_ = 0;
    by_api_.clear();
    by_outcome_.clear();
    recorded_.clear();
    released.swap(hanging_);
  }
  released.clear();
  // Requests still being answered keep their place; the peak starts again from them.
  concurrency_->peak = concurrency_->in_flight.load();
}

std::size_t LlmEmulator::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

json LlmEmulator::stats() const {
  std::lock_guard lock(mutex_);
  return {{"requests", requests_},
          {"successes", successes_},
          {"streamed", streamed_},
          {"by_api", by_api_},
          {"by_outcome", by_outcome_},
          {"queued", queue_.size()},
          {"hanging", hanging_.size()},
          {"in_flight", concurrency_->in_flight.load()},
          {"peak_concurrent", concurrency_->peak.load()},
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

int LlmEmulator::streamed() const {
  std::lock_guard lock(mutex_);
  return streamed_;
}

int LlmEmulator::peak_concurrent() const {
  return concurrency_->peak.load();
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

void LlmEmulator::count(const std::string& outcome) {
  std::lock_guard lock(mutex_);
  by_outcome_[outcome]++;
  if (outcome == "ok" || outcome == "invalid_utf8") successes_++;
}

std::uint64_t LlmEmulator::record(const std::string& api, const http::Request& request) {
  std::lock_guard lock(mutex_);
  ++requests_;
  by_api_[api]++;
  recorded_.push_back({api, request.path, request.headers, request.body});
  return next_id_++;
}

void LlmEmulator::handle(http::Request&& request, http::Reply reply) {
  if (request.path.rfind("/_emulator/", 0) == 0) {
    handle_control(std::move(request), reply);
  } else if (request.path == "/v1/messages" && request.method == "POST") {
    handle_api(anthropic_dialect(), std::move(request), std::move(reply));
  } else if (request.path == "/v1/chat/completions" && request.method == "POST") {
    handle_api(openai_dialect(), std::move(request), std::move(reply));
  } else {
    reply(anthropic_dialect().error({404, "not_found_error", "Not Found", "", ""}, "req_emu_not_found"));
  }
}

void LlmEmulator::handle_control(http::Request&& request, const http::Reply& reply) {
  try {
    if (request.path == "/_emulator/stats" && request.method == "GET") {
      reply(json_response(200, stats()));
    } else if (request.path == "/_emulator/requests" && request.method == "GET") {
      // Without the headers: they carry the API key.
      json list = json::array();
      for (const auto& recorded : recorded_requests())
        list.push_back({{"api", recorded.api}, {"path", recorded.path}, {"body", recorded.body}});
      reply(json_response(200, {{"requests", std::move(list)}}));
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
      const Action action = Action::from_json(json::parse(request.body));
      set_default(action);
      reply(json_response(200, {{"default", action.to_json()}}));
    } else {
      reply(http::json_error(404, "unknown emulator control route " + request.method + " " + request.path));
    }
  } catch (const std::exception& error) {
    reply(http::json_error(400, error.what()));
  }
}

void LlmEmulator::handle_api(const Dialect& dialect, http::Request&& request, http::Reply untracked) {
  auto in_flight = std::make_shared<InFlight>(concurrency_);
  http::Reply reply = [in_flight, reply = std::move(untracked)](http::Response response) {
    in_flight->finish();
    reply(std::move(response));
  };
  const std::uint64_t serial = record(dialect.name(), request);
  const std::string request_id = dialect.request_id(serial);

  // Authentication first, as the real APIs do.
  if (auto refusal = dialect.refuse(request, options_.expected_api_key)) {
    const std::string outcome = refusal->status == 401 ? "unauthorized" : "invalid_request";
    return answer(dialect, request_id, outcome, dialect.error(*refusal, request_id), 0, std::move(reply));
  }
  const auto validated = dialect.validate(request.body);
  if (const auto* error = std::get_if<ApiError>(&validated)) {
    return answer(dialect, request_id, "invalid_request", dialect.error(*error, request_id), 0, std::move(reply));
  }
  const Action action = next_action();
  if (action.kind == "hang") {
    count("hang");
    std::lock_guard lock(mutex_);
    hanging_.push_back(std::move(reply));  // never answered; closed on reset/stop
    return;
  }
  const auto& parsed = std::get<ParsedRequest>(validated);
  if (parsed.stream && streams(action)) {
    {
      std::lock_guard lock(mutex_);
      ++streamed_;
    }
    http::Response response = streamed_response(dialect, action, parsed, dialect.message_id(serial));
    return answer(dialect, request_id, outcome_of(action), std::move(response), action.delay_ms, std::move(reply));
  }
  http::Response response = scripted_response(dialect, action, parsed, dialect.message_id(serial), request_id);
  const int delay = action.kind == "stall" ? action.delay_ms + action.stall_ms : action.delay_ms;
  answer(dialect, request_id, outcome_of(action), std::move(response), delay, std::move(reply));
}

void LlmEmulator::answer(const Dialect& dialect, const std::string& request_id, const std::string& outcome,
                         http::Response response, int delay_ms, http::Reply reply) {
  dialect.add_id_headers(response, request_id);
  if (delay_ms <= 0) {
    count(outcome);
    reply(std::move(response));
    return;
  }
  server_->run_after(std::chrono::milliseconds(delay_ms),
                     [this, outcome, reply = std::move(reply), response = std::move(response)]() mutable {
                       count(outcome);
                       reply(std::move(response));
                     });
}

}  // namespace gigent::llm_emulator
