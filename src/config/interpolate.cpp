#include "config/interpolate.h"

#include <fmt/format.h>

#include <cstdlib>

namespace gigent::config {

namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): config is loaded at start-up; nothing calls setenv
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

InterpolationResult interpolate_env(std::string_view text, const EnvLookup& lookup) {
  InterpolationResult result;
  result.value.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$') {
      result.value.push_back(c);
      ++i;
      continue;
    }
    // "$${" is the escape for a literal "${".
    if (text.substr(i, 3) == "$${") {
      result.value.append("${");
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      result.value.push_back(c);
      ++i;
      continue;
    }
    const std::size_t start = i;
    const std::size_t close = text.find('}', start + 2);
    if (close == std::string_view::npos) {
      result.issues.push_back({InterpolationIssue::Kind::Malformed, start, "",
                               "`${` is never closed; expected ${NAME}, ${NAME:-default}, "
                               "or $${ for a literal ${"});
      // Keep the rest verbatim: the value is reported as broken anyway.
      result.value.append(text.substr(start));
      break;
    }
    const std::string_view inside = text.substr(start + 2, close - start - 2);
    const std::size_t default_marker = inside.find(":-");
    const std::string_view name = inside.substr(0, default_marker);
    if (!is_valid_name(name)) {
      result.issues.push_back({InterpolationIssue::Kind::Malformed, start, "",
                               "`${" + std::string(inside.substr(0, 40)) +
                                   "}` is not a valid variable reference; expected ${NAME} where NAME is letters, "
                                   "digits and _ (not starting with a digit), optionally ${NAME:-default}"});
      i = close + 1;
      continue;
    }
    const std::string variable(name);
    std::optional<std::string> value = lookup ? lookup(variable) : std::nullopt;
    if (default_marker != std::string_view::npos) {
      // Shell semantics of ${NAME:-default}: the fallback also replaces an empty value.
      if (!value || value->empty()) value = std::string(inside.substr(default_marker + 2));
    } else if (!value) {
      result.issues.push_back({InterpolationIssue::Kind::UnsetVariable, start, variable,
                               fmt::format("environment variable {0} is not set; expected it to be set, or write "
                                           "${{{0}:-default}} to give a fallback",
                                           variable)});
    }
    if (value) result.value.append(*value);
    i = close + 1;
  }
  return result;
}

}  // namespace gigent::config
