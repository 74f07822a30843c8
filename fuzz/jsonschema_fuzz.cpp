// libFuzzer target: the bytes are a schema and an instance, both JSON,
// separated by the first newline. The contract under test: the Validator
// constructor throws nothing but SchemaError, validate() never throws, never
// crashes or hangs, and what it returns is well formed -- at most
// kMaxProblems problems, each with a keyword, a message and a JSON Pointer
// ("" or starting with "/"), the same answer on a second run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "jsonschema/validator.h"

namespace {

// Regular expressions cost time proportional to text times pattern size;
// short inputs keep a run well inside the fuzzer's timeout.
constexpr std::size_t kMaxInput = 2048;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInput) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return 0;
  const auto schema = nlohmann::json::parse(text.substr(0, newline), nullptr, false);
  const auto instance = nlohmann::json::parse(text.substr(newline + 1), nullptr, false);
  if (schema.is_discarded() || instance.is_discarded()) return 0;
  std::optional<gigent::jsonschema::Validator> validator;
  try {
    validator.emplace(schema);
  } catch (const gigent::jsonschema::SchemaError& error) {
    if (std::string_view(error.what()).empty() || error.what()[0] != '#') std::abort();
    return 0;
  }
  const std::vector<gigent::jsonschema::Problem> problems = validator->validate(instance);
  if (problems.size() > gigent::jsonschema::kMaxProblems) std::abort();
  for (const gigent::jsonschema::Problem& problem : problems) {
    if (problem.keyword.empty() || problem.message.empty()) std::abort();
    if (!problem.instance_path.empty() && problem.instance_path[0] != '/') std::abort();
    if (gigent::jsonschema::describe(problem).empty()) std::abort();
  }
  const std::vector<gigent::jsonschema::Problem> again = validator->validate(instance);
  if (again.size() != problems.size()) std::abort();
  return 0;
}
