#pragma once
// Whether a gig's `input_schema` / `output_schema` is a JSON Schema the
// runtime can check orders and replies against. Internal to config/.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace gigent::config {

// What is wrong with `schema` as a draft-07 JSON Schema; nothing when it is usable.
std::optional<std::string> json_schema_problem(const nlohmann::json& schema);

}  // namespace gigent::config
