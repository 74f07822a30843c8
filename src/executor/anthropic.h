#pragma once
// Anthropic Messages API: POST {base}/v1/messages.
#include <memory>
#include <string>

#include "executor/http_provider.h"
#include "executor/stream.h"

namespace gigent::executor {

inline constexpr const char* kAnthropicDefaultBaseUrl = "https://api.anthropic.com";
inline constexpr const char* kAnthropicVersion = "2023-06-01";

// Pure parsers, also the fuzz target's entry points. parse_anthropic_response
// throws LlmError: "malformed_response" (retryable) when the body is not a
// Messages response, "refusal" / "empty_response" (not retryable).
LlmResult parse_anthropic_response(const std::string& body);
// {"type":"error","error":{"type":..,"message":..}}; tolerates anything else.
ApiError parse_anthropic_error(const std::string& body);
// Assembles a streamed Messages answer (see executor/stream.h).
std::unique_ptr<StreamAccumulator> make_anthropic_stream();

class AnthropicProvider final : public HttpLlmProvider {
 public:
  AnthropicProvider(config::ExecutionSection execution, TransportFor transport, Sleeper& sleeper, Clock& clock,
                    JitterFn jitter = nullptr);
  // For tests: one transport for every call.
  AnthropicProvider(config::ExecutionSection execution, http::Transport& transport, Sleeper& sleeper, Clock& clock,
                    JitterFn jitter = nullptr);
  std::string name() const override { return "anthropic"; }

  // The request body as sent (for tests and debugging).
  nlohmann::json request_body(const LlmRequest& request) const;

 protected:
  http::ClientRequest build_request(const LlmRequest& request) const override;
  LlmResult parse_success(const std::string& body) const override { return parse_anthropic_response(body); }
  ApiError parse_error(const std::string& body) const override { return parse_anthropic_error(body); }
  std::unique_ptr<StreamAccumulator> make_stream() const override { return make_anthropic_stream(); }
};

}  // namespace gigent::executor
