#pragma once
// Text diagnostics for gigent-agent.yaml: where a problem is, and messages
// that say what is wrong with the raw bytes or the YAML syntax in words a
// user can act on. Internal to config/.
//
// Positions: yaml-cpp marks are 0-based and count bytes; problems are 1-based
// and count bytes too (like compilers do), so a column can be checked with
// `cut -b`.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gigent::config {

// Larger files are refused before parsing.
inline constexpr std::size_t kMaxFileBytes = 1024 * 1024;

struct Position {
  int line = 1;
  int column = 1;
};

// A yaml-cpp mark as a 1-based position (1:1 when the mark is unknown).
Position position_of(const YAML::Mark& mark);

// 1-based line and byte column of a byte offset into `text`.
Position position_of_offset(std::string_view text, std::size_t offset);

// What a message says and where it points.
struct Diagnosis {
  Position position;
  std::string message;
};

// Checks the raw bytes before parsing: the size limit, UTF-8, and the control
// characters YAML does not allow. nullopt when the text may be parsed.
std::optional<Diagnosis> check_raw_text(std::string_view text);

// Turns a yaml-cpp parse failure into a message that names the usual cause
// (tab indentation, an unclosed quote above the reported line, ...).
Diagnosis diagnose_parse_error(std::string_view text, const YAML::ParserException& error);

// "a, b, c".
std::string join(const std::vector<std::string_view>& words);

// A value quoted for a message: shortened, with control bytes escaped so an
// environment variable cannot forge extra lines in the output.
std::string quote_for_message(std::string_view value);

// "a list", "a mapping", "a single value" or "empty".
std::string kind_of(const YAML::Node& node);

}  // namespace gigent::config
