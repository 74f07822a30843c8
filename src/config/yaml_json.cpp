#include "config/yaml_json.h"

#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "common/text.h"

namespace gigent::config {

namespace {

// Aliases may repeat one node many times: the walk stops after this many
// nodes, so a hostile file cannot make it quadratic or exhaust memory.
constexpr std::size_t kMaxNodes = 20000;
constexpr std::size_t kMaxDepth = 64;

std::optional<nlohmann::json> plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nlohmann::json(nullptr);
  if (text == "true" || text == "True" || text == "TRUE") return nlohmann::json(true);
  if (text == "false" || text == "False" || text == "FALSE") return nlohmann::json(false);
  long long integer = 0;
  const char* end = text.data() + text.size();
  const char* start = text.data() + (text.front() == '+' ? 1 : 0);
  if (auto [ptr, ec] = std::from_chars(start, end, integer); ec == std::errc() && ptr == end)
    return nlohmann::json(integer);
  double number = 0;
  if (auto [ptr, ec] = std::from_chars(start, end, number); ec == std::errc() && ptr == end && std::isfinite(number))
    return nlohmann::json(number);
  return std::nullopt;
}

struct Walk {
  std::size_t nodes = 0;
  std::string error;
};

nlohmann::json convert(const YAML::Node& node, std::size_t depth, Walk& walk) {
  if (++walk.nodes > kMaxNodes || depth > kMaxDepth) {
    if (walk.error.empty())
      walk.error = fmt::format(
          "is larger than {} nodes or nested deeper than {} levels; expected a JSON Schema of "
          "a reasonable size",
          kMaxNodes, kMaxDepth);
    return nullptr;
  }
  if (!node || node.IsNull()) return nullptr;
  if (node.IsScalar()) {
    // A quoted scalar is a string whatever it holds; a plain one is read as YAML's core schema does.
    if (node.Tag() != "!")
      if (auto value = plain_scalar(node.Scalar())) return *value;
    return node.Scalar();
  }
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) out.push_back(convert(item, depth + 1, walk));
    return out;
  }
  nlohmann::json out = nlohmann::json::object();
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      if (walk.error.empty()) walk.error = "has a key that is not a plain name; expected JSON object keys";
      return nullptr;
    }
    out[it->first.Scalar()] = convert(it->second, depth + 1, walk);
  }
  return out;
}

}  // namespace

std::variant<nlohmann::json, std::string> yaml_to_json(const YAML::Node& node) {
  if (node && node.IsScalar()) {
    const std::string text = trim(node.Scalar());
    auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !(parsed.is_object() || parsed.is_boolean()))
      return std::string(
          "is text that is not a JSON object; expected a JSON Schema, as a YAML mapping or as JSON text");
    return parsed;
  }
  Walk walk;
  nlohmann::json out = convert(node, 0, walk);
  if (!walk.error.empty()) return walk.error;
  return out;
}

}  // namespace gigent::config
