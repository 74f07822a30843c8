#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "config/config.h"
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

std::string env_or_empty(const char* name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): providers are made at start-up; nothing calls setenv
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

// The public APIs refuse every call without a key: better to stop at boot than
// to fail (and perhaps cancel) every order. A custom base_url (a local model
// server, a gateway) may legitimately need none.
void require_key_for_public_api(const config::ExecutionSection& execution, const char* env_name) {
  if (execution.api_key.empty() && execution.base_url.empty())
    throw std::invalid_argument(std::string("no API key for ") + execution.provider +
                                ": set execution.api_key (e.g. api_key: ${" + env_name + "}) or export " + env_name);
}

std::unique_ptr<LlmProvider> make_provider(const config::ExecutionSection& execution) {
  config::ExecutionSection resolved = execution;
  if (resolved.provider == "anthropic") {
    if (resolved.api_key.empty()) resolved.api_key = env_or_empty("ANTHROPIC_API_KEY");
    require_key_for_public_api(resolved, "ANTHROPIC_API_KEY");
    if (resolved.base_url.empty()) resolved.base_url = kAnthropicDefaultBaseUrl;
    return std::make_unique<AnthropicProvider>(resolved, thread_client, RealSleeper::instance(),
                                               SystemClock::instance(), random_jitter());
  }
  if (resolved.provider == "openai") {
    if (resolved.api_key.empty()) resolved.api_key = env_or_empty("OPENAI_API_KEY");
    require_key_for_public_api(resolved, "OPENAI_API_KEY");
    if (resolved.base_url.empty()) resolved.base_url = kOpenAiDefaultBaseUrl;
    return std::make_unique<OpenAiProvider>(resolved, thread_client, RealSleeper::instance(), SystemClock::instance(),
                                            random_jitter());
  }
  throw std::invalid_argument("unknown execution.provider \"" + resolved.provider +
                              "\" (expected anthropic or openai)");
}

}  // namespace gigent::executor
