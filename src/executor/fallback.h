#pragma once
// execution.fallback: the primary provider, then each fallback in order. A
// provider is left for the next one only after its own retries are spent on
// transient failures, or when its account or configuration is refused; never
// for the request's own faults or the model's answer.
#include <memory>
#include <string>
#include <vector>

#include "executor/llm_provider.h"

namespace gigent::executor {

class LlmCounters;

// True when a provider's final failure should hand the call to the next
// provider: transient failures (overload, rate limits, 5xx, connection
// errors, timeouts, stalled streams, malformed answers: retryable() errors
// after the provider's retries), and failures of that provider's account or
// setup: key refused (401), permission (403), model or endpoint not found
// (404), quota and billing (402, insufficient_quota). Not: the request itself
// (400, 413, 422: the next provider would be paid to refuse it too), the
// model's refusal or empty answer, cancellation.
bool should_fall_back(const LlmError& error);

class FallbackChain final : public LlmProvider {
 public:
  struct Link {
    std::unique_ptr<LlmProvider> provider;
    std::string model;  // as configured, for logs
  };
  // `links[0]` is the primary. `counters` may be null.
  FallbackChain(std::vector<Link> links, LlmCounters* counters);

  // The first answer, with fallback_index set. When every provider failed,
  // one LlmError naming each failure, retryable when any of them was.
  LlmResult complete(const LlmRequest& request, const Cancellation& cancel) override;
  std::string name() const override { return links_.front().provider->name(); }

 private:
  std::vector<Link> links_;
  LlmCounters* counters_;
};

}  // namespace gigent::executor
