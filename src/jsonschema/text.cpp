#include "jsonschema/text.h"

#include <cstdint>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace gigent::jsonschema {
namespace {

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

std::string cut(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && is_continuation(text[end])) --end;  // never split a character
  text.resize(end);
  text += "...";
  return text;
}

}  // namespace

std::string show(const nlohmann::json& value, std::size_t max_bytes) {
  return cut(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), max_bytes);
}

std::string quote(std::string_view name) {
  return show(nlohmann::json(std::string(name)), 80);
}

std::string_view type_phrase(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "a number";
    default:
      return "binary data";
  }
}

std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural);
}

std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) count += is_continuation(c) ? 0 : 1;
  return count;
}

void append_token(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (const char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
}

std::size_t nesting_depth(const nlohmann::json& value, std::size_t limit) {
  // Explicit stack: the value may be deeper than the call stack could hold.
  std::vector<std::pair<const nlohmann::json*, std::size_t>> pending{{&value, 0}};
  std::size_t deepest = 0;
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    const std::size_t inner = depth + 1;
    if (inner > deepest) deepest = inner;
    if (deepest > limit) return deepest;
    for (const auto& child : *node) pending.emplace_back(&child, inner);
  }
  return deepest;
}

}  // namespace gigent::jsonschema
