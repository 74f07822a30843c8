#pragma once
// Where the LLM key comes from: the one rule that `run` (when it sets up the
// provider) and `validate` (when it checks what `run` would refuse) share.
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/interpolate.h"

namespace gigent::config {

// The environment variable read when execution.api_key is empty:
// ANTHROPIC_API_KEY or OPENAI_API_KEY; empty for an unknown provider.
std::string_view llm_key_variable(std::string_view provider);

// execution.api_key when set, else the provider's variable, else "".
std::string resolve_llm_key(const ExecutionSection& execution, const EnvLookup& env);

// Why no LLM call could succeed for want of a key, or nullopt when there is
// one or none is needed. The public APIs refuse every call without a key; a
// custom base_url (a local model server, a gateway) may legitimately need none.
std::optional<std::string> missing_llm_key(const ExecutionSection& execution, const EnvLookup& env);

// The settings a fallback provider is called with: the primary's, with the
// fallback's provider, model, key and endpoint (and a temperature Anthropic
// accepts when the primary is OpenAI's).
ExecutionSection fallback_execution(const ExecutionSection& primary, const FallbackProvider& fallback);

}  // namespace gigent::config
