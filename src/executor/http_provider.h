#pragma once
// The part both providers share: one HTTP call per attempt, the SDKs' retry
// rules between attempts, one LlmError naming what finally went wrong.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/cancel.h"
#include "config/config.h"
#include "executor/llm_provider.h"
#include "executor/retry.h"
#include "executor/stream.h"
#include "http/client.h"

namespace gigent::executor {

class LlmCounters;

// An error body as each API spells it, reduced to what a person needs.
struct ApiError {
  std::string type;     // "rate_limit_error", "insufficient_quota", ... ("" when unknown)
  std::string message;  // the provider's own words, or the start of a non-JSON body
  std::string code;     // OpenAI's error.code ("" when absent)
};

// Hands out the transport for one call. The real one gives each thread its
// own libcurl client bound to the call's cancellation (connections are reused
// per thread); tests hand back a scripted fake.
using TransportFor = std::function<http::Transport&(const Cancellation&)>;

// Quota and billing failures: retrying cannot help, even when sent as 429.
bool is_quota_or_billing_error(int status, const ApiError& error);

// Parses a JSON body for the response parsers: bytes that are not UTF-8 and
// lone surrogate escapes become U+FFFD first, absurd nesting is refused.
// nullopt when it is not JSON.
std::optional<nlohmann::json> parse_provider_json(const std::string& body);

// Lenient field readers for provider JSON: a missing or mistyped field reads
// as "" / 0 instead of throwing.
std::string string_field(const nlohmann::json& object, const char* key);
long long integer_field(const nlohmann::json& object, const char* key);
const nlohmann::json* object_field(const nlohmann::json& object, const char* key);

// A short, UTF-8-clean excerpt of a body that was not the expected JSON.
std::string body_excerpt(const std::string& body);

class HttpLlmProvider : public LlmProvider {
 public:
  HttpLlmProvider(config::ExecutionSection execution, TransportFor transport, Sleeper& sleeper, Clock& clock,
                  JitterFn jitter);

  // Runs attempts until success, a permanent failure, cancellation or the
  // retry budget (execution.max_retries) is spent.
  LlmResult complete(const LlmRequest& request, const Cancellation& cancel) final;
  // Told of every retry and answer from now on (not owned; may be null).
  void set_counters(LlmCounters* counters) { counters_ = counters; }
  // Whether calls stream (execution.stream, see should_stream()).
  bool streaming() const { return should_stream(execution_.stream, execution_.max_tokens); }

 protected:
  virtual http::ClientRequest build_request(const LlmRequest& request) const = 0;
  // Throws LlmError: retryable for a malformed body, not for refusal/empty.
  virtual LlmResult parse_success(const std::string& body) const = 0;
  virtual ApiError parse_error(const std::string& body) const = 0;
  // A fresh accumulator for one streamed attempt.
  virtual std::unique_ptr<StreamAccumulator> make_stream() const = 0;

  const config::ExecutionSection& execution() const { return execution_; }
  // Common request fields: URL, timeouts, content type.
  http::ClientRequest base_request(const std::string& url) const;
  // Turns a request into a streaming one: accept an event stream, bound the
  // silence between events by timeout_seconds instead of the whole call.
  void stream_request(http::ClientRequest& wire) const;

 private:
  // complete() without the metrics it records around the call.
  LlmResult complete_with_retries(const LlmRequest& request, const Cancellation& cancel);
  // Why the last attempt failed, when it may be tried again.
  struct Failure {
    std::string text;
    int status = 0;
    std::string type;
    std::optional<std::chrono::milliseconds> wait;  // what the server asked for
  };
  // One HTTP attempt: the result, or nullopt with `failure` filled for a
  // transient failure. Throws LlmError for a permanent one and cancellation.
  std::optional<LlmResult> attempt(const http::ClientRequest& wire_request, const Cancellation& cancel, int attempts,
                                   Failure& failure);
  std::string without_key(const std::string& text) const;
  [[noreturn]] void fail(std::string message, bool retryable, int status, std::string type, int attempts) const;

  config::ExecutionSection execution_;
  TransportFor transport_;
  Sleeper& sleeper_;
  Clock& clock_;
  JitterFn jitter_;
  LlmCounters* counters_ = nullptr;
};

// base_url without a trailing slash, with "/v1" appended unless already there.
std::string api_v1_root(const std::string& base_url);

}  // namespace gigent::executor
