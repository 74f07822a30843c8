#pragma once
// The one seam between the runtime and a language model: complete() one
// prompt, with the provider's retry policy applied inside.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/cancel.h"

namespace gigent::http {
class Transport;
}
namespace gigent::config {
struct ExecutionSection;
}

namespace gigent::executor {

struct LlmRequest {
  std::string system;
  std::string user;
  // The answer's limit for this call; 0: execution.max_tokens. Lower when the
  // order's token budget (execution.budget.max_tokens_per_order) leaves less.
  int max_tokens = 0;
};

struct LlmUsage {
  long long input_tokens = 0;
  long long output_tokens = 0;
};

struct LlmResult {
  std::string text;              // valid UTF-8 (invalid bytes replaced with U+FFFD)
  std::string stop_reason;       // provider's own word: "end_turn", "stop", "max_tokens", "length", ...
  bool truncated = false;        // stopped by max_tokens
  std::string model;             // model that answered, as reported by the provider
  std::string provider;          // provider that answered: "anthropic" | "openai"
  std::string configured_model;  // the model asked for (execution.model or the fallback's)
  bool streamed = false;         // the answer came as server-sent events
  int fallback_index = 0;        // 0: the primary; n: execution.fallback[n-1]
  LlmUsage usage;
  int attempts = 1;  // HTTP attempts made, including the successful one
  std::chrono::milliseconds latency{0};
};

// Raised when the call finally fails. what() names the provider, HTTP status,
// the provider's error type and message; never the key.
class LlmError : public std::runtime_error {
 public:
  LlmError(const std::string& message, bool retryable, int http_status, std::string error_type)
      : std::runtime_error(message),
        retryable_(retryable),
        http_status_(http_status),
        error_type_(std::move(error_type)) {}
  // True when the failure was transient (retries ran out or shutdown cut them
  // short): the order may be tried again later. False for 400/401/403/404/422,
  // quota and billing errors: trying again cannot help.
  bool retryable() const { return retryable_; }
  int http_status() const { return http_status_; }  // 0 for transport errors
  const std::string& error_type() const { return error_type_; }

 private:
  bool retryable_;
  int http_status_;
  std::string error_type_;
};

class LlmProvider {
 public:
  virtual ~LlmProvider() = default;
  // Throws LlmError. Returns promptly (LlmError, retryable) when `cancel` fires.
  virtual LlmResult complete(const LlmRequest& request, const Cancellation& cancel) = 0;
  virtual std::string name() const = 0;  // "anthropic" | "openai"
};

class LlmCounters;

// Builds the provider named by execution.provider; resolves an empty api_key
// from ANTHROPIC_API_KEY / OPENAI_API_KEY and an empty base_url from the
// public endpoint. Uses a real libcurl transport, real clock and sleeper.
// With execution.fallback set, the provider returned tries each fallback in
// turn after the primary fails (see executor/fallback.h). `counters`, when
// given, is told of every retry, answer and fallback.
std::unique_ptr<LlmProvider> make_provider(const config::ExecutionSection& execution, LlmCounters* counters = nullptr);

}  // namespace gigent::executor
