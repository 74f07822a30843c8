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

// OpenAI's stream: chat.completion.chunk objects, each with choices[0].delta
// (content, refusal) and, on the last, finish_reason; with
// stream_options.include_usage a final chunk with empty choices and the
// usage; then the literal [DONE]. An {"error":..} chunk ends it.
class OpenAiStream final : public StreamAccumulator {
 public:
  bool on_event(const SseEvent& event) override {
    if (event.data == "[DONE]") {
      done_ = true;  // reading goes on to the end of the body, so the connection can be kept
      return true;
    }
    const auto doc = parse_provider_json(event.data);
    if (!doc || !doc->is_object()) {
      error_ = malformed("stream chunk is not a JSON object: " + body_excerpt(event.data));
      return false;
    }
    if (const auto* error = object_field(*doc, "error")) {
      const std::string type = string_field(*error, "type");
      const bool retryable = type.empty() || type == "server_error" || type == "rate_limit_exceeded";
      error_ = LlmError(
          "error in the stream: " + (type.empty() ? "server_error" : type) + ": " + string_field(*error, "message"),
          retryable, 200, type.empty() ? "server_error" : type);
      return false;
    }
    if (const std::string model = string_field(*doc, "model"); !model.empty()) model_ = model;
    if (const auto* usage = object_field(*doc, "usage")) usage_ = *usage;
    const auto choices = doc->find("choices");
    if (choices != doc->end() && choices->is_array() && !choices->empty()) choice(choices->front());
    return true;
  }

  std::optional<LlmError> failure() const override { return error_; }

  LlmResult finish() const override {
    if (error_) throw *error_;
    if (!done_) throw malformed("the stream ended before data: [DONE]");
    nlohmann::json message = {{"role", "assistant"}, {"content", content_}};
    if (!refusal_.empty()) message["refusal"] = refusal_;
    nlohmann::json completion = {
        {"object", "chat.completion"},
        {"model", model_},
        {"choices", nlohmann::json::array({{{"index", 0}, {"message", message}, {"finish_reason", finish_reason_}}})},
        {"usage", usage_}};
    // One parser judges streamed and whole answers alike (refusal, empty, truncated).
    return parse_openai_response(completion.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

 private:
  void choice(const nlohmann::json& first) {
    if (const auto* delta = object_field(first, "delta")) {
      content_ += string_field(*delta, "content");
      refusal_ += string_field(*delta, "refusal");
    }
    if (const std::string reason = string_field(first, "finish_reason"); !reason.empty()) finish_reason_ = reason;
  }

  std::string model_;
  std::string content_;
  std::string refusal_;
  std::string finish_reason_;
  nlohmann::json usage_ = nlohmann::json::object();
  bool done_ = false;
  std::optional<LlmError> error_;
};

}  // namespace

std::unique_ptr<StreamAccumulator> make_openai_stream() {
  return std::make_unique<OpenAiStream>();
}

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
  nlohmann::json body = {
      {"model", execution().model},
      {"messages", messages},
      {"max_tokens", request.max_tokens > 0 ? request.max_tokens : execution().max_tokens},
      {"temperature", execution().temperature},
  };
  if (streaming()) {
    body["stream"] = true;
    // Without it a stream reports no token counts, which budgets need.
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

http::ClientRequest OpenAiProvider::build_request(const LlmRequest& request) const {
  const std::string base = execution().base_url.empty() ? kOpenAiDefaultBaseUrl : execution().base_url;
  http::ClientRequest wire = base_request(api_v1_root(base) + "/chat/completions");
  // No key is legitimate for a local OpenAI-compatible server.
  if (!execution().api_key.empty()) {
    wire.headers.emplace_back("authorization", "Bearer " + execution().api_key);
  }
  if (streaming()) stream_request(wire);
  wire.body = request_body(request).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return wire;
}

}  // namespace gigent::executor
