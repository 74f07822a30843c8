// The Anthropic Messages API (POST /v1/messages) as the emulator speaks it.
#include <string>
#include <utility>

#include "dialect.h"
#include "llm_emulator.h"

namespace gigent::llm_emulator {
namespace {

using nlohmann::json;

ApiError invalid(std::string message) {
  return {400, "invalid_request_error", std::move(message), "", ""};
}

std::string error_type_for(int status) {
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

// The top-level fields, checked in the order the API reports them.
std::optional<ApiError> check_fields(const json& body) {
  if (!body.is_object()) return invalid("Input should be a valid dictionary");
  if (!body.contains("model")) return invalid("model: Field required");
  if (!body["model"].is_string()) return invalid("model: Input should be a valid string");
  if (!body.contains("max_tokens")) return invalid("max_tokens: Field required");
  if (!body["max_tokens"].is_number_integer()) return invalid("max_tokens: Input should be a valid integer");
  if (body["max_tokens"].get<long long>() < 1) {
    return invalid("max_tokens: Input should be greater than or equal to 1");
  }
  if (!body.contains("messages")) return invalid("messages: Field required");
  if (!body["messages"].is_array()) return invalid("messages: Input should be a valid list");
  if (body["messages"].empty()) return invalid("messages: at least one message is required");
  if (body.contains("temperature")) {
    const auto& t = body["temperature"];
    if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 1) {
      return invalid("temperature: Input should be less than or equal to 1");
    }
  }
  if (body.contains("stream") && !body["stream"].is_boolean())
    return invalid("stream: Input should be a valid boolean");
  if (body.contains("system") && !valid_content(body["system"])) {
    return invalid("system: Input should be a valid string");
  }
  return std::nullopt;
}

class AnthropicDialect final : public Dialect {
 public:
  std::string name() const override { return "anthropic"; }
  std::string request_id(std::uint64_t serial) const override { return "req_01EMU" + padded_serial(serial); }
  std::string message_id(std::uint64_t serial) const override { return "msg_01EMU" + padded_serial(serial); }
  void add_id_headers(http::Response& response, const std::string& request_id) const override {
    response.headers.emplace_back("request-id", request_id);
  }

  std::optional<ApiError> refuse(const http::Request& request, const std::string& expected_key) const override {
    if (!expected_key.empty()) {
      // The API takes the key as x-api-key; current SDKs send it as a Bearer token.
      std::string key = request.header("x-api-key").value_or("");
      const auto authorization = request.header("authorization");
      if (key.empty() && authorization && authorization->rfind("Bearer ", 0) == 0) key = authorization->substr(7);
      if (key.empty()) return ApiError{401, "authentication_error", "x-api-key header is required", "", ""};
      if (key != expected_key) return ApiError{401, "authentication_error", "invalid x-api-key", "", ""};
    }
    if (!request.header("anthropic-version")) return invalid("anthropic-version: header is required");
    return std::nullopt;
  }

  std::variant<ParsedRequest, ApiError> validate(const std::string& text) const override {
    const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return invalid("There was an error parsing the body of your request: not valid JSON");
    if (auto error = check_fields(body)) return *error;
    ParsedRequest parsed;
    parsed.model = body["model"].get<std::string>();
    parsed.max_tokens = body["max_tokens"].get<long long>();
    parsed.stream = body.value("stream", false);
    if (body.contains("system")) parsed.all_text = content_text(body["system"]);
    std::size_t index = 0;
    for (const auto& message : body["messages"]) {
      const std::string where = "messages." + std::to_string(index++);
      if (!message.is_object()) return invalid(where + ": Input should be a valid dictionary");
      const std::string role = message.value("role", "");
      if (role != "user" && role != "assistant") return invalid(where + ".role: Input should be 'user' or 'assistant'");
      if (!message.contains("content") || !valid_content(message["content"])) {
        return invalid(where + ".content: Field required");
      }
      const std::string content = content_text(message["content"]);
      parsed.all_text += " " + content;
      if (role == "user") parsed.last_user_text = content;
    }
    return parsed;
  }

  json success(const std::string& id, const ParsedRequest& request, const Completion& completion) const override {
    return {{"id", id},
            {"type", "message"},
            {"role", "assistant"},
            {"model", request.model},
            {"content", json::array({{{"type", "text"}, {"text", completion.text}}})},
            {"stop_reason", completion.hit_max_tokens ? "max_tokens" : "end_turn"},
            {"stop_sequence", nullptr},
            {"usage",
             {{"input_tokens", estimate_tokens(request.all_text)},
              {"output_tokens", completion.output_tokens},
              {"cache_creation_input_tokens", 0},
              {"cache_read_input_tokens", 0}}}};
  }

  http::Response error(const ApiError& error, const std::string& request_id) const override {
    return json_response(
        error.status,
        {{"type", "error"}, {"error", {{"type", error.type}, {"message", error.message}}}, {"request_id", request_id}});
  }

  std::string malformed_body(const std::string& id) const override {
    return R"({"id":")" + id + R"(","type":"message","content":[{"type":"text","text":"cut sh)";
  }

  ApiError fault(const std::string& kind) const override {
    if (kind == "rate_limit") {
      return {429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", "", ""};
    }
    if (kind == "overloaded") return {529, "overloaded_error", "Overloaded", "", ""};
    if (kind == "billing") {
      return {402, "billing_error", "Your credit balance is too low to access the Anthropic API.", "", ""};
    }
    return {500, "api_error", "Internal server error", "", ""};
  }

  ApiError status_error(int status) const override {
    return {status, error_type_for(status), default_error_message(status), "", ""};
  }

  // message_start, one text block (start, a ping, deltas, stop), message_delta
  // with the stop reason and output usage, message_stop: the API's order.
  std::vector<std::string> stream_events(const std::string& id, const ParsedRequest& request,
                                         const Completion& completion) const override {
    const long long input_tokens = estimate_tokens(request.all_text);
    json message = {{"id", id},
                    {"type", "message"},
                    {"role", "assistant"},
                    {"model", request.model},
                    {"content", json::array()},
                    {"stop_reason", nullptr},
                    {"stop_sequence", nullptr},
                    {"usage",
                     {{"input_tokens", input_tokens},
                      {"cache_creation_input_tokens", 0},
                      {"cache_read_input_tokens", 0},
                      {"output_tokens", 1}}}};
    std::vector<std::string> events;
    events.push_back(sse_event("message_start", {{"type", "message_start"}, {"message", message}}));
    events.push_back(sse_event(
        "content_block_start",
        {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}}));
    events.push_back(sse_event("ping", {{"type", "ping"}}));
    for (const std::string& piece : stream_pieces(completion.text)) {
      events.push_back(sse_event(
          "content_block_delta",
          {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", piece}}}}));
    }
    events.push_back(sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
    events.push_back(sse_event(
        "message_delta",
        {{"type", "message_delta"},
         {"delta",
          {{"stop_reason", completion.hit_max_tokens ? "max_tokens" : "end_turn"}, {"stop_sequence", nullptr}}},
         {"usage", {{"output_tokens", completion.output_tokens}}}}));
    events.push_back(sse_event("message_stop", {{"type", "message_stop"}}));
    return events;
  }

  std::string stream_error_event(const ApiError& error) const override {
    return sse_event("error", {{"type", "error"}, {"error", {{"type", error.type}, {"message", error.message}}}});
  }
};

}  // namespace

const Dialect& anthropic_dialect() {
  static const AnthropicDialect dialect;
  return dialect;
}

}  // namespace gigent::llm_emulator
