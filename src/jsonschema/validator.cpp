#include "jsonschema/validator.h"

#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "jsonschema/compiled.h"

namespace gigent::jsonschema {

Validator::Validator(const nlohmann::json& schema)
    : compiled_(std::make_shared<const CompiledSchema>(compile_schema(schema))) {}

std::vector<Problem> Validator::validate(const nlohmann::json& instance) const {
  return evaluate(*compiled_, instance);
}

std::string describe(const Problem& problem) {
  return fmt::format("{}: {}", problem.instance_path.empty() ? "/" : problem.instance_path, problem.message);
}

}  // namespace gigent::jsonschema
