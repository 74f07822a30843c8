#include <memory>
#include <stdexcept>

#include "config/config.h"
#include "config/llm_key.h"
#include "executor/anthropic.h"
#include "executor/fallback.h"
#include "executor/llm_provider.h"
#include "executor/openai.h"
#include "http/client.h"

namespace gigent::executor {

namespace {

// complete() runs on several worker threads at once and a Client serves one
// thread at a time, so each call uses its thread's own, bound to the call's
// Cancellation (each order has its own): keep-alive connections survive
// between calls.
http::Transport& thread_client(const Cancellation& cancel) {
  http::Client& client = http::this_thread_client();
  client.bind(&cancel);
  return client;
}

std::unique_ptr<HttpLlmProvider> make_one(const config::ExecutionSection& execution, LlmCounters* counters) {
  // A missing key stops boot rather than failing (and perhaps cancelling)
  // every order; `validate` applies the same rule.
  if (auto missing = config::missing_llm_key(execution, config::process_env())) {
    throw std::invalid_argument(*missing);
  }
  config::ExecutionSection resolved = execution;
  resolved.api_key = config::resolve_llm_key(execution, config::process_env());
  if (resolved.provider == "anthropic") {
    if (resolved.base_url.empty()) resolved.base_url = kAnthropicDefaultBaseUrl;
    auto provider = std::make_unique<AnthropicProvider>(resolved, thread_client, RealSleeper::instance(),
                                                        SystemClock::instance(), random_jitter());
    provider->set_counters(counters);
    return provider;
  }
  if (resolved.provider == "openai") {
    if (resolved.base_url.empty()) resolved.base_url = kOpenAiDefaultBaseUrl;
    auto provider = std::make_unique<OpenAiProvider>(resolved, thread_client, RealSleeper::instance(),
                                                     SystemClock::instance(), random_jitter());
    provider->set_counters(counters);
    return provider;
  }
  throw std::invalid_argument("unknown execution.provider \"" + resolved.provider +
                              "\" (expected anthropic or openai)");
}

}  // namespace

std::unique_ptr<LlmProvider> make_provider(const config::ExecutionSection& execution, LlmCounters* counters) {
  if (execution.fallback.empty()) return make_one(execution, counters);
  std::vector<FallbackChain::Link> links;
  links.push_back({make_one(execution, counters), execution.model});
  for (std::size_t i = 0; i < execution.fallback.size(); ++i) {
    try {
      links.push_back({make_one(config::fallback_execution(execution, execution.fallback[i]), counters),
                       execution.fallback[i].model});
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("execution.fallback[" + std::to_string(i) + "]: " + e.what());
    }
  }
  return std::make_unique<FallbackChain>(std::move(links), counters);
}

}  // namespace gigent::executor
