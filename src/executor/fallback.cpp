#include "executor/fallback.h"

#include <utility>

#include "common/log.h"
#include "executor/llm_counters.h"

namespace gigent::executor {

namespace {
// A gig's own model names one of the primary provider's models: a fallback
// answers with its own. A temperature above Anthropic's limit of 1 (OpenAI
// allows 2) is lowered to it.
LlmRequest for_fallback(const LlmRequest& request, const LlmProvider& provider) {
  LlmRequest copy = request;
  copy.model.reset();
  if (copy.temperature && *copy.temperature > 1.0 && provider.name() == "anthropic") copy.temperature = 1.0;
  return copy;
}
}  // namespace

bool should_fall_back(const LlmError& error) {
  if (error.error_type() == "cancelled") return false;
  if (error.retryable()) return true;
  const int status = error.http_status();
  const std::string& type = error.error_type();
  return status == 401 || status == 402 || status == 403 || status == 404 || status == 429 ||
         type == "insufficient_quota" || type == "billing_error" || type == "billing_hard_limit_reached";
}

FallbackChain::FallbackChain(std::vector<Link> links, LlmCounters* counters)
    : links_(std::move(links)), counters_(counters) {}

LlmResult FallbackChain::complete(const LlmRequest& request, const Cancellation& cancel) {
  auto logger = log::get("llm");
  std::string failures;
  bool any_retryable = false;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const Link& link = links_[i];
    try {
      LlmResult result = link.provider->complete(i == 0 ? request : for_fallback(request, *link.provider), cancel);
      result.fallback_index = static_cast<int>(i);
      if (i > 0) logger->info("fallback {} ({}) answered", link.provider->name(), link.model);
      return result;
    } catch (const LlmError& error) {
      any_retryable = any_retryable || error.retryable();
      if (!failures.empty()) failures += "; then ";
      failures += error.what();
      const bool last = i + 1 == links_.size();
      if (last || cancel.cancelled() || !should_fall_back(error)) {
        if (i == 0) throw;
        throw LlmError(failures, any_retryable, error.http_status(), error.error_type());
      }
      const Link& next = links_[i + 1];
      logger->warn("{} ({}) failed: {}; falling back to {} ({})", link.provider->name(), link.model, error.what(),
                   next.provider->name(), next.model);
      if (counters_) counters_->fell_back(link.provider->name(), next.provider->name());
    }
  }
  throw LlmError("no LLM provider configured", false, 0, "config");  // unreachable: links_ is never empty
}

}  // namespace gigent::executor
