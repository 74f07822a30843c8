#include "config/json_schema_check.h"

namespace gigent::config {

std::optional<std::string> json_schema_problem(const nlohmann::json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) return std::string("expected an object (or true/false)");
  return std::nullopt;
}

}  // namespace gigent::config
