#pragma once
// Small helpers shared by the compiler and the evaluator: how values, names
// and types read in a message, JSON Pointer tokens, nesting depth.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gigent::jsonschema {

// A value as JSON text for a message, cut to about `max_bytes` on a character
// boundary ("..." marks the cut). Never throws on invalid UTF-8.
std::string show(const nlohmann::json& value, std::size_t max_bytes = 60);

// A name in double quotes with JSON escapes, cut like show().
std::string quote(std::string_view name);

// "a string", "an object", "null"; numbers are "a number".
std::string_view type_phrase(const nlohmann::json& value);

// "1 item", "3 items".
std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural);

// Unicode code points in UTF-8 text (continuation bytes are not counted).
std::size_t code_points(std::string_view text);

// Appends "/" and `token` with ~ and / escaped (~0, ~1) to a JSON Pointer.
void append_token(std::string& pointer, std::string_view token);

// How deeply arrays and objects nest in `value` (0 for a scalar), counted
// without recursion; stops counting once past `limit`.
std::size_t nesting_depth(const nlohmann::json& value, std::size_t limit);

}  // namespace gigent::jsonschema
