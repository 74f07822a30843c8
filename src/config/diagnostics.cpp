#include "config/diagnostics.h"

#include <algorithm>
#include <cstdio>

#include "common/utf8.h"

namespace gigent::config {

namespace {

std::string hex_byte(unsigned char c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02x", c);
  return buffer;
}

// yaml-cpp's terse messages, with what the reader should check.
std::string explain_syntax_error(const std::string& raw) {
  std::string hint;
  if (raw == "illegal tab when looking for indentation") {
    return "tab character in indentation; YAML indentation must use spaces";
  } else if (raw == "end of map not found") {
    hint = "check the indentation: keys of one mapping must line up, and each needs `key: value`";
  } else if (raw == "end of sequence not found") {
    hint = "check the indentation: items of one list and keys of one gig must line up";
  } else if (raw == "illegal map value") {
    hint = "unexpected `:`; put values containing `: ` in quotes, and check the indentation";
  } else if (raw == "illegal block entry") {
    hint = "unexpected `- `; a list item must be on its own line, indented under its key";
  } else if (raw == "illegal EOF in scalar") {
    hint = "the file ends inside a quoted string; expected a closing quote";
  } else if (raw == "end of sequence flow not found") {
    hint = "a `[` list is never closed; expected a matching `]`";
  } else if (raw == "end of map flow not found") {
    hint = "a `{` mapping is never closed; expected a matching `}`";
  } else if (raw.find("unknown escape") != std::string::npos) {
    hint = "inside double quotes a backslash starts an escape; use single quotes or `\\\\`";
  } else {
    hint = "expected valid YAML";
  }
  return "YAML syntax error: " + raw + "; " + hint;
}

// When yaml-cpp fails, an unclosed double quote earlier in the file is the
// usual culprit, yet the error points far below it. Finds the last line up to
// `error_line` (1-based) with an odd number of unescaped `"` outside comments,
// and returns where its last `"` is. Only a hint for the message.
std::optional<Position> find_unbalanced_double_quote(std::string_view text, int error_line) {
  std::optional<Position> found;
  int line = 1;
  std::size_t line_start = 0;
  while (line_start <= text.size() && line <= error_line) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    int quotes = 0;
    std::size_t last_quote = 0;
    for (std::size_t i = line_start; i < line_end; ++i) {
      const char c = text[i];
      if (c == '\\') {
        ++i;
      } else if (c == '#' && quotes % 2 == 0 && (i == line_start || text[i - 1] == ' ')) {
        break;  // a comment: quotes in it do not count
      } else if (c == '"') {
        ++quotes;
        last_quote = i;
      }
    }
    if (quotes % 2 == 1) found = Position{line, static_cast<int>(last_quote - line_start) + 1};
    ++line;
    line_start = line_end + 1;
  }
  return found;
}

// The first tab in the leading whitespace of a line up to `error_line`
// (1-based). yaml-cpp reports tab indentation in misleading ways ("illegal
// map value" a few columns on), so a failed parse is checked for this first.
std::optional<Position> find_tab_indentation(std::string_view text, int error_line) {
  int line = 1;
  std::size_t line_start = 0;
  while (line_start < text.size() && line <= error_line) {
    std::size_t i = line_start;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
      if (text[i] == '\t') return Position{line, static_cast<int>(i - line_start) + 1};
      ++i;
    }
    const std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) break;
    ++line;
    line_start = line_end + 1;
  }
  return std::nullopt;
}

}  // namespace

Position position_of(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

Position position_of_offset(std::string_view text, std::size_t offset) {
  Position position;
  const std::size_t end = std::min(offset, text.size());
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++position.line;
      line_start = i + 1;
    }
  }
  position.column = static_cast<int>(end - line_start) + 1;
  return position;
}

std::optional<Diagnosis> check_raw_text(std::string_view text) {
  if (text.size() > kMaxFileBytes) {
    return Diagnosis{{},
                     "file is " + std::to_string(text.size()) + " bytes; expected at most " +
                         std::to_string(kMaxFileBytes) + " bytes (1 MiB) for a gigent-agent.yaml"};
  }
  // Control characters are ASCII, so within the valid UTF-8 prefix a byte
  // scan finds them; whichever problem comes first is the one reported.
  const std::optional<std::size_t> invalid = first_invalid_utf8(text);
  const std::size_t valid_end = invalid.value_or(text.size());
  for (std::size_t i = 0; i < valid_end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool allowed_control = c == '\t' || c == '\n' || c == '\r';
    if ((c < 0x20 && !allowed_control) || c == 0x7f) {
      return Diagnosis{position_of_offset(text, i), "control character " + hex_byte(c) + " at byte offset " +
                                                        std::to_string(i) +
                                                        " is not allowed; expected a UTF-8 text file"};
    }
  }
  if (invalid) {
    return Diagnosis{position_of_offset(text, *invalid),
                     "invalid UTF-8 byte " + hex_byte(static_cast<unsigned char>(text[*invalid])) + " at byte offset " +
                         std::to_string(*invalid) + "; expected the file to be saved as UTF-8"};
  }
  return std::nullopt;
}

Diagnosis diagnose_parse_error(std::string_view text, const YAML::ParserException& error) {
  const Position error_position = position_of(error.mark);
  // yaml-cpp's depth guard reports nesting past 500 levels as "bad file".
  if (error.msg == "bad file") {
    return {error_position, "nesting is too deep; expected a gigent-agent.yaml nested a few levels at most"};
  }
  if (const auto tab = find_tab_indentation(text, error_position.line)) {
    return {*tab,
            "tab character in indentation; YAML indentation must use spaces (it makes the YAML syntax error at "
            "line " +
                std::to_string(error_position.line) + " column " + std::to_string(error_position.column) + ": " +
                error.msg + ")"};
  }
  std::string message = explain_syntax_error(error.msg);
  if (const auto quote = find_unbalanced_double_quote(text, error_position.line)) {
    message += " (the `\"` at line " + std::to_string(quote->line) + " column " + std::to_string(quote->column) +
               " is probably never closed)";
  }
  return {error_position, std::move(message)};
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ", ";
    out += words[i];
  }
  return out;
}

std::string quote_for_message(std::string_view value) {
  constexpr std::size_t kShown = 40;
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x" + hex_byte(c).substr(2);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > kShown) out += "...";
  out += "\"";
  return out;
}

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "a single value";
    default:
      return "empty";
  }
}

}  // namespace gigent::config
