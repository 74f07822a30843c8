#include "executor/anthropic.h"

#include <utility>

namespace gigent::executor {

namespace {

LlmError malformed(const std::string& what) {
  return LlmError("malformed response: " + what, /*retryable=*/true, 200, "malformed_response");
}

}  // namespace

LlmResult parse_anthropic_response(const std::string& body) {
  const auto doc = parse_provider_json(body);
  if (!doc) throw malformed("not JSON: " + body_excerpt(body));
  if (!doc->is_object()) throw malformed("not a JSON object");
  if (string_field(*doc, "type") == "error") {
    // Anthropic can report an error inside a 200 (e.g. overloaded mid-stream).
    const auto* error = object_field(*doc, "error");
    const std::string type = error ? string_field(*error, "type") : "";
    throw LlmError("error in a success response: " + type + ": " + (error ? string_field(*error, "message") : ""),
                   /*retryable=*/true, 200, type.empty() ? "api_error" : type);
  }
  const auto content = doc->find("content");
  if (content == doc->end() || !content->is_array()) throw malformed("no content array");

  LlmResult result;
  for (const auto& block : *content) {
    if (string_field(block, "type") == "text") result.text += string_field(block, "text");
  }
  const auto stop = doc->find("stop_reason");
  if (stop != doc->end() && stop->is_string()) result.stop_reason = stop->get<std::string>();
  result.model = string_field(*doc, "model");
  if (const auto* usage = object_field(*doc, "usage")) {
    result.usage.input_tokens = integer_field(*usage, "input_tokens");
    result.usage.output_tokens = integer_field(*usage, "output_tokens");
  }
  if (result.stop_reason == "refusal") {
    throw LlmError("the model refused the request (stop_reason refusal)", false, 200, "refusal");
  }
  if (result.text.empty()) {
    throw LlmError(
        "the model returned no text (stop_reason " + (result.stop_reason.empty() ? "null" : result.stop_reason) + ")",
        false, 200, "empty_response");
  }
  result.truncated = result.stop_reason == "max_tokens" || result.stop_reason == "model_context_window_exceeded";
  return result;
}

ApiError parse_anthropic_error(const std::string& body) {
  ApiError error;
  const auto doc = parse_provider_json(body);
  const nlohmann::json* inner = doc ? object_field(*doc, "error") : nullptr;
  if (!inner) {
    error.message = body_excerpt(body);
    return error;
  }
  error.type = string_field(*inner, "type");
  error.message = string_field(*inner, "message");
  if (error.type.empty() && error.message.empty()) error.message = body_excerpt(body);
  return error;
}

AnthropicProvider::AnthropicProvider(config::ExecutionSection execution, TransportFor transport, Sleeper& sleeper,
                                     Clock& clock, JitterFn jitter)
    : HttpLlmProvider(std::move(execution), std::move(transport), sleeper, clock, std::move(jitter)) {}

AnthropicProvider::AnthropicProvider(config::ExecutionSection execution, http::Transport& transport, Sleeper& sleeper,
                                     Clock& clock, JitterFn jitter)
    : AnthropicProvider(
          std::move(execution), [&transport](const Cancellation&) -> http::Transport& { return transport; }, sleeper,
          clock, std::move(jitter)) {}

nlohmann::json AnthropicProvider::request_body(const LlmRequest& request) const {
  nlohmann::json body = {
      {"model", execution().model},
      {"max_tokens", request.max_tokens > 0 ? request.max_tokens : execution().max_tokens},
      {"temperature", execution().temperature},
      {"messages", nlohmann::json::array({{{"role", "user"}, {"content", request.user}}})},
  };
  if (!request.system.empty()) body["system"] = request.system;
  return body;
}

http::ClientRequest AnthropicProvider::build_request(const LlmRequest& request) const {
  const std::string base = execution().base_url.empty() ? kAnthropicDefaultBaseUrl : execution().base_url;
  http::ClientRequest wire = base_request(api_v1_root(base) + "/messages");
  wire.headers.emplace_back("x-api-key", execution().api_key);
  wire.headers.emplace_back("anthropic-version", kAnthropicVersion);
  wire.body = request_body(request).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return wire;
}

}  // namespace gigent::executor
