#pragma once
// ${ENV_VAR} interpolation of one YAML scalar value. It runs on values after
// parsing (never on the raw file), so an environment variable can neither
// shift reported positions nor inject YAML structure.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace gigent::config {

// Returns the variable's value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (std::getenv).
EnvLookup process_env();

struct InterpolationIssue {
  enum class Kind {
    UnsetVariable,  // ${NAME} with NAME unset and no :-default
    Malformed,      // unterminated ${, empty or invalid variable name
  };
  Kind kind;
  std::size_t offset = 0;  // byte offset of the `${` within the value
  std::string variable;    // the variable name, when known
  std::string message;     // what is wrong, what is expected
};

struct InterpolationResult {
  std::string value;
  std::vector<InterpolationIssue> issues;
};

// Replaces ${NAME} with NAME's value and ${NAME:-fallback} with NAME's value
// when it is set and non-empty, else `fallback` (taken literally). `$${`
// produces a literal `${`; any other `$` is kept as is. An unset variable
// without fallback expands to "" and is reported as an issue.
InterpolationResult interpolate_env(std::string_view text, const EnvLookup& lookup);

// load_string with an explicit environment, so tests need not touch the
// process environment.
LoadResult load_string_with_env(const std::string& yaml_text, const std::string& file_label, const EnvLookup& env,
                                const LoadOptions& options = {});

}  // namespace gigent::config
