#include "executor/json_check.h"

#include <fmt/format.h>

#include "common/json_depth.h"
#include "common/text.h"
#include "executor/prompt.h"
#include "jsonschema/validator.h"

namespace gigent::executor {

std::vector<std::string> schema_problems(const nlohmann::json& schema, const nlohmann::json& instance,
                                         std::size_t limit) {
  std::vector<std::string> out;
  std::vector<jsonschema::Problem> problems;
  try {
    problems = jsonschema::Validator(schema).validate(instance);
  } catch (const jsonschema::SchemaError& error) {
    // Checked at load, so not expected; still the order must fail alone.
    return {std::string("the gig's schema cannot be used: ") + error.what()};
  }
  for (const auto& problem : problems) {
    if (out.size() == limit) {
      out.push_back(fmt::format("and {} more problem(s)", problems.size() - limit));
      break;
    }
    out.push_back(jsonschema::describe(problem));
  }
  return out;
}

std::optional<nlohmann::json> input_as_json(const nlohmann::json& input_data) {
  if (!input_data.is_string()) return input_data;
  const std::string text = trim(input_data.get_ref<const std::string&>());
  if (text.empty()) return nlohmann::json(nullptr);
  // Measured before parsing: the parser would build every level in memory.
  if (json_nesting_depth(text) > kMaxInputDepth) return std::nullopt;
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::optional<nlohmann::json> reply_as_json(const std::string& reply) {
  const std::string text = trim(reply);
  if (json_nesting_depth(text) > kMaxInputDepth) return std::nullopt;
  auto whole = nlohmann::json::parse(text, nullptr, false);
  if (!whole.is_discarded()) return whole;
  for (const char* opener : {"```json", "```JSON", "```"}) {
    auto start = text.find(opener);
    if (start == std::string::npos) continue;
    auto body = text.find('\n', start);
    if (body == std::string::npos) continue;
    auto end = text.find("```", body);
    if (end == std::string::npos) continue;
    auto fenced = nlohmann::json::parse(text.substr(body + 1, end - body - 1), nullptr, false);
    if (!fenced.is_discarded()) return fenced;
  }
  return std::nullopt;
}

}  // namespace gigent::executor
