#include "executor/anthropic.h"

#include <utility>

namespace gigent::executor {

namespace {

LlmError malformed(const std::string& what) {
  return LlmError("malformed response: " + what, /*retryable=*/true, 200, "malformed_response");
}

// Error types a stream can end with that trying again may cure.
bool stream_error_retryable(const std::string& type) {
  return type.empty() || type == "overloaded_error" || type == "api_error" || type == "rate_limit_error" ||
         type == "timeout_error";
}

// Anthropic's stream: message_start, then per content block a start, deltas
// and a stop, then message_delta (stop_reason, output usage) and message_stop;
// ping anywhere; an error event ends it.
class AnthropicStream final : public StreamAccumulator {
 public:
  bool on_event(const SseEvent& event) override {
    if (event.event == "ping") return true;
    const auto doc = parse_provider_json(event.data);
    if (!doc || !doc->is_object()) {
      error_ =
          malformed("stream event " + body_excerpt(event.event) + " is not a JSON object: " + body_excerpt(event.data));
      return false;
    }
    const std::string type = event.event == "message" ? string_field(*doc, "type") : event.event;
    if (type == "error") return on_error(*doc);
    if (type == "message_start") {
      if (const auto* message = object_field(*doc, "message")) {
        message_["model"] = string_field(*message, "model");
        if (const auto* usage = object_field(*message, "usage")) usage_in(*usage);
      }
    } else if (type == "content_block_start") {
      const auto* block = object_field(*doc, "content_block");
      if (block && string_field(*block, "type") == "text") text_ += string_field(*block, "text");
    } else if (type == "content_block_delta") {
      const auto* delta = object_field(*doc, "delta");
      if (delta && string_field(*delta, "type") == "text_delta") text_ += string_field(*delta, "text");
    } else if (type == "message_delta") {
      const auto* delta = object_field(*doc, "delta");
      const auto stop = delta ? delta->find("stop_reason") : doc->end();
      if (delta && stop != delta->end() && stop->is_string()) message_["stop_reason"] = *stop;
      if (const auto* usage = object_field(*doc, "usage")) usage_in(*usage);
    } else if (type == "message_stop") {
      stopped_ = true;  // reading goes on to the end of the body, so the connection can be kept
      return true;
    }
    return true;
  }

  std::optional<LlmError> failure() const override { return error_; }

  LlmResult finish() const override {
    if (error_) throw *error_;
    if (!stopped_) throw malformed("the stream ended before message_stop");
    nlohmann::json message = message_;
    message["type"] = "message";
    message["content"] = nlohmann::json::array({{{"type", "text"}, {"text", text_}}});
    message["usage"] = usage_;
    // The assembled message goes through the one response parser, so a
    // streamed answer is judged (refusal, empty, truncated) exactly as a whole one.
    return parse_anthropic_response(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

 private:
  bool on_error(const nlohmann::json& doc) {
    const auto* error = object_field(doc, "error");
    const std::string type = error ? string_field(*error, "type") : "";
    error_ = LlmError("error event in the stream: " + (type.empty() ? "api_error" : type) + ": " +
                          (error ? string_field(*error, "message") : ""),
                      stream_error_retryable(type), 200, type.empty() ? "api_error" : type);
    return false;
  }
  // message_start carries input_tokens; message_delta the cumulative output_tokens.
  void usage_in(const nlohmann::json& usage) {
    for (const char* key : {"input_tokens", "output_tokens"}) {
      const auto it = usage.find(key);
      if (it != usage.end() && it->is_number_integer()) usage_[key] = integer_field(usage, key);
    }
  }

  nlohmann::json message_ = nlohmann::json::object();
  nlohmann::json usage_ = {{"input_tokens", 0}, {"output_tokens", 0}};
  std::string text_;
  bool stopped_ = false;
  std::optional<LlmError> error_;
};

}  // namespace

std::unique_ptr<StreamAccumulator> make_anthropic_stream() {
  return std::make_unique<AnthropicStream>();
}

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
  if (streaming()) body["stream"] = true;
  return body;
}

http::ClientRequest AnthropicProvider::build_request(const LlmRequest& request) const {
  const std::string base = execution().base_url.empty() ? kAnthropicDefaultBaseUrl : execution().base_url;
  http::ClientRequest wire = base_request(api_v1_root(base) + "/messages");
  wire.headers.emplace_back("x-api-key", execution().api_key);
  wire.headers.emplace_back("anthropic-version", kAnthropicVersion);
  if (streaming()) stream_request(wire);
  wire.body = request_body(request).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return wire;
}

}  // namespace gigent::executor
