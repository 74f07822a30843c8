#pragma once
// OpenAI Chat Completions: POST {base}/v1/chat/completions. Also fits local
// OpenAI-compatible servers (custom base_url, no key).
#include <memory>
#include <string>

#include "executor/http_provider.h"
#include "executor/stream.h"

namespace gigent::executor {

inline constexpr const char* kOpenAiDefaultBaseUrl = "https://api.openai.com";

// Pure parsers, also the fuzz target's entry points. parse_openai_response
// throws LlmError: "malformed_response" (retryable) when the body is not a
// chat completion, "refusal" / "empty_response" (not retryable).
LlmResult parse_openai_response(const std::string& body);
// {"error":{"message":..,"type":..,"code":..}}; tolerates anything else.
ApiError parse_openai_error(const std::string& body);
// Assembles a streamed chat completion (see executor/stream.h).
std::unique_ptr<StreamAccumulator> make_openai_stream();

class OpenAiProvider final : public HttpLlmProvider {
 public:
  OpenAiProvider(config::ExecutionSection execution, TransportFor transport, Sleeper& sleeper, Clock& clock,
                 JitterFn jitter = nullptr);
  // For tests: one transport for every call.
  OpenAiProvider(config::ExecutionSection execution, http::Transport& transport, Sleeper& sleeper, Clock& clock,
                 JitterFn jitter = nullptr);
  std::string name() const override { return "openai"; }

  nlohmann::json request_body(const LlmRequest& request) const;

 protected:
  http::ClientRequest build_request(const LlmRequest& request) const override;
  LlmResult parse_success(const std::string& body) const override { return parse_openai_response(body); }
  ApiError parse_error(const std::string& body) const override { return parse_openai_error(body); }
  std::unique_ptr<StreamAccumulator> make_stream() const override { return make_openai_stream(); }
};

}  // namespace gigent::executor
