#include "executor/openai.h"

#include <utility>

namespace gigent::executor {

namespace {

LlmError malformed(const std::string& what) {
  return LlmError("malformed response: " + what, /*retryable=*/true, 200, "malformed_response");
}

// content is usually a string; some compatible servers send [{type:text,text}].
std::string message_text(const nlohmann::json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (string_field(part, "type") == "text") text += string_field(part, "text");
    }
  }
  return text;
}

}  // namespace

LlmResult parse_openai_response(const std::string& body) {
  const auto doc = parse_provider_json(body);
  if (!doc) throw malformed("not JSON: " + body_excerpt(body));
  if (!doc->is_object()) throw malformed("not a JSON object");
  const auto choices = doc->find("choices");
  if (choices == doc->end() || !choices->is_array() || choices->empty()) {
    throw malformed("no choices");
  }
  const nlohmann::json& choice = choices->front();
  const auto* message = object_field(choice, "message");
  if (!message) throw malformed("choices[0] has no message");

  LlmResult result;
  if (const auto content = message->find("content"); content != message->end()) {
    result.text = message_text(*content);
  }
  result.stop_reason = string_field(choice, "finish_reason");
  result.model = string_field(*doc, "model");
  if (const auto* usage = object_field(*doc, "usage")) {
    result.usage.input_tokens = integer_field(*usage, "prompt_tokens");
    result.usage.output_tokens = integer_field(*usage, "completion_tokens");
  }
  const std::string refusal = string_field(*message, "refusal");
  if (!refusal.empty()) {
    throw LlmError("the model refused the request: " + refusal, false, 200, "refusal");
  }
  if (result.text.empty()) {
    if (result.stop_reason == "content_filter") {
      throw LlmError("the provider's content filter withheld the answer", false, 200, "refusal");
    }
    throw LlmError(
        "the model returned no text (finish_reason " + (result.stop_reason.empty() ? "null" : result.stop_reason) + ")",
        false, 200, "empty_response");
  }
  result.truncated = result.stop_reason == "length";
  return result;
}

ApiError parse_openai_error(const std::string& body) {
  ApiError error;
  const auto doc = parse_provider_json(body);
  const nlohmann::json* inner = doc ? object_field(*doc, "error") : nullptr;
  if (!inner) {
    // Some compatible servers answer {"error":"text"} or {"message":"text"}.
    const std::string flat = doc ? string_field(*doc, "error") : "";
    const std::string message = doc ? string_field(*doc, "message") : "";
    error.message = !flat.empty() ? flat : !message.empty() ? message : body_excerpt(body);
    return error;
  }
  error.type = string_field(*inner, "type");
  error.message = string_field(*inner, "message");
  const auto code = inner->find("code");
  if (code != inner->end()) {
    if (code->is_string()) {
      error.code = code->get<std::string>();
    } else if (code->is_number_integer()) {
      error.code = std::to_string(code->get<long long>());
    }
  }
  if (error.type.empty()) error.type = error.code;
  if (error.type.empty() && error.message.empty()) error.message = body_excerpt(body);
  return error;
}

OpenAiProvider::OpenAiProvider(config::ExecutionSection execution, TransportFor transport, Sleeper& sleeper,
                               Clock& clock, JitterFn jitter)
    : HttpLlmProvider(std::move(execution), std::move(transport), sleeper, clock, std::move(jitter)) {}

OpenAiProvider::OpenAiProvider(config::ExecutionSection execution, http::Transport& transport, Sleeper& sleeper,
                               Clock& clock, JitterFn jitter)
    : OpenAiProvider(
          std::move(execution), [&transport](const Cancellation&) -> http::Transport& { return transport; }, sleeper,
          clock, std::move(jitter)) {}

nlohmann::json OpenAiProvider::request_body(const LlmRequest& request) const {
  nlohmann::json messages = nlohmann::json::array();
  if (!request.system.empty()) messages.push_back({{"role", "system"}, {"content", request.system}});
  messages.push_back({{"role", "user"}, {"content", request.user}});
  return {
      {"model", execution().model},
      {"messages", messages},
      {"max_tokens", request.max_tokens > 0 ? request.max_tokens : execution().max_tokens},
      {"temperature", execution().temperature},
  };
}

http::ClientRequest OpenAiProvider::build_request(const LlmRequest& request) const {
  const std::string base = execution().base_url.empty() ? kOpenAiDefaultBaseUrl : execution().base_url;
  http::ClientRequest wire = base_request(api_v1_root(base) + "/chat/completions");
  // No key is legitimate for a local OpenAI-compatible server.
  if (!execution().api_key.empty()) {
    wire.headers.emplace_back("authorization", "Bearer " + execution().api_key);
  }
  wire.body = request_body(request).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return wire;
}

}  // namespace gigent::executor
