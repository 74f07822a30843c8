#pragma once
// What the model is asked: the buyer's brief plus the order's input data.
#include <string>

#include <nlohmann/json.hpp>

namespace gigent::executor {

// "## Brief\n<brief>\n\n## Input data\n```json\n<pretty JSON>\n```".
// `input_data` may be an object/array, a JSON *string* holding JSON (decoded
// and pretty-printed), a plain string (shown as text), or null/empty (the
// input section is left out). Invalid UTF-8 is replaced, never thrown on.
std::string build_user_message(const std::string& brief, const nlohmann::json& input_data);

}  // namespace gigent::executor
