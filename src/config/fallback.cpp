// execution.stream and execution.fallback: providers tried in order when the
// ones before them keep failing.
#include <string>

#include "common/text.h"
#include "config/llm_key.h"
#include "config/schema.h"

namespace gigent::config {

namespace {

constexpr std::size_t kMaxFallbacks = 5;
const std::vector<std::string_view> kFallbackKeys = {"provider", "model", "api_key", "base_url"};

void read_one_fallback(Reader& in, const YAML::Node& node, std::size_t index, const ExecutionSection& primary,
                       bool require_llm_key, const EnvLookup& env, std::vector<FallbackProvider>& out) {
  const std::string path = "execution.fallback[" + std::to_string(index) + "]";
  const Position position = position_of(node.Mark());
  if (!node.IsMap()) {
    in.add(position, path, "is " + kind_of(node) + "; expected a mapping with provider, model, api_key, base_url");
    return;
  }
  const auto entry = in.open_section(node, path, position, kFallbackKeys, "a fallback provider mapping");
  if (!entry) return;
  FallbackProvider fallback;
  if (const auto provider = in.read_choice(*entry, "provider", {"anthropic", "openai"}, true)) {
    fallback.provider = *provider;
  }
  in.read_string(*entry, "model", fallback.model,
                 {.required = true, .expected = "a model name, e.g. gpt-4o or claude-sonnet-4-5"});
  in.read_string(*entry, "api_key", fallback.api_key,
                 {.secret = true, .allow_unset_env = true, .expected = "an API key string"});
  fallback.api_key = trim(fallback.api_key);
  in.read_url(*entry, "base_url", fallback.base_url);
  if (fallback.provider.empty()) return;
  if (fallback.provider == "anthropic" && primary.temperature > 1) {
    in.warn(position, path,
            "Anthropic accepts a temperature from 0 to 1; this fallback is called with 1 instead of " +
                format_number(primary.temperature));
  }
  if (require_llm_key) {
    if (auto missing = missing_llm_key(fallback_execution(primary, fallback), env)) {
      const Entry* key = entry->find("api_key");
      in.add(key != nullptr ? in.value_position(*key) : position, entry->field("api_key"),
             *missing + " (`run` refuses to start without it)");
    }
  }
  out.push_back(std::move(fallback));
}

}  // namespace

void read_stream_and_fallback(Reader& in, const Section& execution, bool require_llm_key, const EnvLookup& env,
                              ExecutionSection& out) {
  if (const auto stream = in.read_choice(execution, "stream", {"auto", "true", "false"})) out.stream = *stream;
  const Entry* entry = execution.find("fallback");
  if (entry == nullptr || !entry->value || entry->value.IsNull()) return;
  const YAML::Node& list = entry->value;
  if (!list.IsSequence()) {
    in.add(in.value_position(*entry), "execution.fallback",
           "is " + kind_of(list) + "; expected a list of providers, each `- provider: openai` with model and api_key");
    return;
  }
  if (list.size() > kMaxFallbacks) {
    in.add(in.value_position(*entry), "execution.fallback",
           "has " + std::to_string(list.size()) + " providers; expected at most " + std::to_string(kMaxFallbacks));
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    read_one_fallback(in, list[i], i, out, require_llm_key, env, out.fallback);
  }
}

}  // namespace gigent::config
