// The OpenAI Chat Completions API (POST /v1/chat/completions) as the emulator speaks it.
#include <chrono>
#include <string>
#include <utility>

#include "dialect.h"
#include "llm_emulator.h"

namespace gigent::llm_emulator {
namespace {

using nlohmann::json;

ApiError invalid(std::string message, std::string param = "", std::string code = "") {
  return {400, "invalid_request_error", std::move(message), std::move(param), std::move(code)};
}

bool known_role(const std::string& role) {
  return role == "system" || role == "developer" || role == "user" || role == "assistant" || role == "tool";
}

// The top-level fields, checked in the order the API reports them.
std::optional<ApiError> check_fields(const json& body) {
  if (!body.is_object()) return invalid("We could not parse the JSON body of your request.");
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty()) {
    return invalid("you must provide a model parameter");
  }
  if (!body.contains("messages")) {
    return invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  }
  if (!body["messages"].is_array()) {
    return invalid("Invalid type for 'messages': expected an array.", "messages", "invalid_type");
  }
  if (body["messages"].empty()) {
    return invalid(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        "messages", "empty_array");
  }
  if (body.contains("max_tokens") && !body["max_tokens"].is_null() &&
      (!body["max_tokens"].is_number_integer() || body["max_tokens"].get<long long>() < 1)) {
    return invalid("Invalid 'max_tokens': integer below minimum value. Expected a value >= 1.", "max_tokens",
                   "integer_below_min_value");
  }
  if (body.contains("temperature") && !body["temperature"].is_null()) {
    const auto& t = body["temperature"];
    if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 2) {
      return invalid("Invalid 'temperature': decimal above maximum value. Expected a value <= 2.", "temperature",
                     "decimal_above_max_value");
    }
  }
  return std::nullopt;
}

class OpenAiDialect final : public Dialect {
 public:
  std::string name() const override { return "openai"; }
  std::string request_id(std::uint64_t serial) const override { return "req_emu" + padded_serial(serial); }
  std::string message_id(std::uint64_t serial) const override { return "chatcmpl-EMU" + padded_serial(serial); }
  void add_id_headers(http::Response& response, const std::string& request_id) const override {
    response.headers.emplace_back("x-request-id", request_id);
    response.headers.emplace_back("openai-processing-ms", "1");
  }

  std::optional<ApiError> refuse(const http::Request& request, const std::string& expected_key) const override {
    if (expected_key.empty()) return std::nullopt;
    const auto authorization = request.header("authorization");
    const std::string prefix = "Bearer ";
    if (!authorization || authorization->rfind(prefix, 0) != 0) {
      return ApiError{401, "invalid_request_error",
                      "You didn't provide an API key. You need to provide your API key in an Authorization header "
                      "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                      "", ""};
    }
    // The real API echoes a masked key; the emulator never echoes it at all.
    if (authorization->substr(prefix.size()) != expected_key) {
      return ApiError{401, "invalid_request_error", "Incorrect API key provided.", "", "invalid_api_key"};
    }
    return std::nullopt;
  }

  std::variant<ParsedRequest, ApiError> validate(const std::string& text) const override {
    const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return invalid("We could not parse the JSON body of your request.");
    if (auto error = check_fields(body)) return *error;
    ParsedRequest parsed;
    parsed.model = body["model"].get<std::string>();
    if (body.contains("max_tokens") && !body["max_tokens"].is_null()) {
      parsed.max_tokens = body["max_tokens"].get<long long>();
    }
    if (body.contains("stream") && !body["stream"].is_null()) {
      if (!body["stream"].is_boolean()) {
        return invalid("Invalid type for 'stream': expected a boolean.", "stream", "invalid_type");
      }
      parsed.stream = body["stream"].get<bool>();
    }
    if (body.contains("stream_options") && !body["stream_options"].is_null()) {
      if (!parsed.stream) {
        return invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options",
                       "invalid_value");
      }
      const auto& options = body["stream_options"];
      parsed.include_usage = options.is_object() && options.value("include_usage", false);
    }
    std::size_t index = 0;
    for (const auto& message : body["messages"]) {
      const std::string where = "messages[" + std::to_string(index++) + "]";
      if (!message.is_object())
        return invalid("Invalid type for '" + where + "': expected an object.", where, "invalid_type");
      const std::string role = message.value("role", "");
      if (!known_role(role))
        return invalid("Invalid value for '" + where + ".role'.", where + ".role", "invalid_value");
      if (!message.contains("content") || !(message["content"].is_null() || valid_content(message["content"]))) {
        return invalid("Missing required parameter: '" + where + ".content'.", where + ".content",
                       "missing_required_parameter");
      }
      const std::string content = content_text(message["content"]);
      parsed.all_text += " " + content;
      if (role == "user") parsed.last_user_text = content;
    }
    return parsed;
  }

  json success(const std::string& id, const ParsedRequest& request, const Completion& completion) const override {
    const long long prompt_tokens = estimate_tokens(request.all_text);
    const auto created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const json message = {
        {"role", "assistant"}, {"content", completion.text}, {"refusal", nullptr}, {"annotations", json::array()}};
    return {{"id", id},
            {"object", "chat.completion"},
            {"created", created},
            {"model", request.model},
            {"choices", json::array({{{"index", 0},
                                      {"message", message},
                                      {"logprobs", nullptr},
                                      {"finish_reason", completion.hit_max_tokens ? "length" : "stop"}}})},
            {"usage",
             {{"prompt_tokens", prompt_tokens},
              {"completion_tokens", completion.output_tokens},
              {"total_tokens", prompt_tokens + completion.output_tokens}}},
            {"service_tier", "default"},
            {"system_fingerprint", nullptr}};
  }

  http::Response error(const ApiError& error, const std::string& /*request_id*/) const override {
    const auto or_null = [](const std::string& text) { return text.empty() ? json(nullptr) : json(text); };
    return json_response(error.status, {{"error",
                                         {{"message", error.message},
                                          {"type", error.type},
                                          {"param", or_null(error.param)},
                                          {"code", or_null(error.code)}}}});
  }

  std::string malformed_body(const std::string& id) const override {
    return R"({"id":")" + id + R"(","object":"chat.completion","choices":[{"index":0,"mess)";
  }

  ApiError fault(const std::string& kind) const override {
    if (kind == "rate_limit") {
      return {429, "requests", "Rate limit reached for requests. Please try again later.", "", "rate_limit_exceeded"};
    }
    if (kind == "overloaded") {
      return {503, "server_error", "The engine is currently overloaded, please try again later", "", ""};
    }
    if (kind == "billing") {
      return {429, "insufficient_quota", "You exceeded your current quota, please check your plan and billing details.",
              "", "insufficient_quota"};
    }
    return {500, "server_error", "The server had an error while processing your request. Sorry about that!", "", ""};
  }

  // chat.completion.chunk objects: the role first, the text in pieces, the
  // finish_reason in an empty delta, the usage in a chunk of its own when
  // include_usage asked for it (then every chunk carries "usage": null), and
  // the literal [DONE].
  std::vector<std::string> stream_events(const std::string& id, const ParsedRequest& request,
                                         const Completion& completion) const override {
    const auto created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto chunk = [&](json choices) {
      json out = {{"id", id},
                  {"object", "chat.completion.chunk"},
                  {"created", created},
                  {"model", request.model},
                  {"service_tier", "default"},
                  {"system_fingerprint", nullptr},
                  {"choices", std::move(choices)}};
      if (request.include_usage) out["usage"] = nullptr;
      return out;
    };
    const auto choice = [](json delta, json finish_reason) {
      return json::array(
          {{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", finish_reason}}});
    };
    std::vector<std::string> events;
    events.push_back(
        sse_event("", chunk(choice({{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr))));
    for (const std::string& piece : stream_pieces(completion.text)) {
      events.push_back(sse_event("", chunk(choice({{"content", piece}}, nullptr))));
    }
    events.push_back(sse_event("", chunk(choice(json::object(), completion.hit_max_tokens ? "length" : "stop"))));
    if (request.include_usage) {
      const long long prompt_tokens = estimate_tokens(request.all_text);
      json last = chunk(json::array());
      last["usage"] = {{"prompt_tokens", prompt_tokens},
                       {"completion_tokens", completion.output_tokens},
                       {"total_tokens", prompt_tokens + completion.output_tokens}};
      events.push_back(sse_event("", last));
    }
    events.push_back("data: [DONE]\n\n");
    return events;
  }

  std::string stream_error_event(const ApiError& error) const override {
    const auto or_null = [](const std::string& text) { return text.empty() ? json(nullptr) : json(text); };
    return sse_event("", {{"error",
                           {{"message", error.message},
                            {"type", error.type},
                            {"param", or_null(error.param)},
                            {"code", or_null(error.code)}}}});
  }

  ApiError status_error(int status) const override {
    const std::string type = status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error";
    return {status, type, default_error_message(status), "", status == 401 ? "invalid_api_key" : ""};
  }
};

}  // namespace

const Dialect& openai_dialect() {
  static const OpenAiDialect dialect;
  return dialect;
}

}  // namespace gigent::llm_emulator
