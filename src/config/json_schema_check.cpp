#include "config/json_schema_check.h"

#include "jsonschema/validator.h"

namespace gigent::config {

std::optional<std::string> json_schema_problem(const nlohmann::json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) return std::string("expected an object (or true/false)");
  try {
    jsonschema::Validator validator(schema);
  } catch (const jsonschema::SchemaError& error) {
    return std::string(error.what());
  }
  return std::nullopt;
}

}  // namespace gigent::config
