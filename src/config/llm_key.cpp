#include "config/llm_key.h"

namespace gigent::config {

std::string_view llm_key_variable(std::string_view provider) {
  if (provider == "anthropic") return "ANTHROPIC_API_KEY";
  if (provider == "openai") return "OPENAI_API_KEY";
  return "";
}

std::string resolve_llm_key(const ExecutionSection& execution, const EnvLookup& env) {
  if (!execution.api_key.empty()) return execution.api_key;
  const std::string_view variable = llm_key_variable(execution.provider);
  if (variable.empty() || !env) return "";
  return env(std::string(variable)).value_or("");
}

std::optional<std::string> missing_llm_key(const ExecutionSection& execution, const EnvLookup& env) {
  const std::string_view variable = llm_key_variable(execution.provider);
  if (variable.empty() || !execution.base_url.empty() || !resolve_llm_key(execution, env).empty()) {
    return std::nullopt;
  }
  const std::string name(variable);
  return "no API key for " + execution.provider + ": set execution.api_key (e.g. api_key: ${" + name + "}) or export " +
         name;
}

}  // namespace gigent::config

namespace gigent::config {

ExecutionSection fallback_execution(const ExecutionSection& primary, const FallbackProvider& fallback) {
  ExecutionSection out = primary;
  out.provider = fallback.provider;
  out.model = fallback.model;
  out.api_key = fallback.api_key;
  out.base_url = fallback.base_url;
  out.fallback.clear();
  // Anthropic refuses a temperature above 1; the loader warns about the cut.
  if (out.provider == "anthropic" && out.temperature > 1) out.temperature = 1;
  return out;
}

}  // namespace gigent::config
