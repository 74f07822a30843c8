#include <memory>
#include <stdexcept>

#include "config/config.h"
#include "config/llm_key.h"
#include "executor/anthropic.h"
#include "executor/llm_provider.h"
#include "executor/openai.h"
#include "http/client.h"

namespace gigent::executor {

namespace {

// complete() runs on several worker threads at once and a Client serves one
// thread at a time, so each thread keeps its own, rebuilt only when a call
// brings a different Cancellation: keep-alive connections survive between calls.
http::Transport& thread_client(const Cancellation& cancel) {
  thread_local std::unique_ptr<http::Client> client;
  thread_local const Cancellation* bound_to = nullptr;
  if (!client || bound_to != &cancel) {
    client = std::make_unique<http::Client>(&cancel);
    bound_to = &cancel;
  }
  return *client;
}

}  // namespace

std::unique_ptr<LlmProvider> make_provider(const config::ExecutionSection& execution) {
  // A missing key stops boot rather than failing (and perhaps cancelling)
  // every order; `validate` applies the same rule.
  if (auto missing = config::missing_llm_key(execution, config::process_env())) {
    throw std::invalid_argument(*missing);
  }
  config::ExecutionSection resolved = execution;
  resolved.api_key = config::resolve_llm_key(execution, config::process_env());
  if (resolved.provider == "anthropic") {
    if (resolved.base_url.empty()) resolved.base_url = kAnthropicDefaultBaseUrl;
    return std::make_unique<AnthropicProvider>(resolved, thread_client, RealSleeper::instance(),
                                               SystemClock::instance(), random_jitter());
  }
  if (resolved.provider == "openai") {
    if (resolved.base_url.empty()) resolved.base_url = kOpenAiDefaultBaseUrl;
    return std::make_unique<OpenAiProvider>(resolved, thread_client, RealSleeper::instance(), SystemClock::instance(),
                                            random_jitter());
  }
  throw std::invalid_argument("unknown execution.provider \"" + resolved.provider +
                              "\" (expected anthropic or openai)");
}

}  // namespace gigent::executor
