// Loading and validating gigent-agent.yaml.
//
// The pipeline is: size and encoding checks on the raw bytes, yaml-cpp parse,
// then one walk over the known schema that converts and checks each field,
// collecting every problem instead of stopping at the first. ${ENV_VAR}s are
// expanded per scalar during that walk (see interpolate.h).
//
// Positions: yaml-cpp marks are 0-based and count bytes; problems are 1-based
// and count bytes too (like compilers do), so a column can be checked with
// `cut -b`. Problems about something that is missing point at the key of the
// enclosing section, or at line 1 column 1 for a missing top-level section.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>
#include <unordered_map>

#include "common/fs.h"
#include "config/config.h"
#include "config/interpolate.h"
#include "config/suggest.h"

namespace gigent::config {

namespace {

constexpr std::size_t kMaxFileBytes = 1024 * 1024;
// A broken file can produce thousands of problems (e.g. a pasted log); past
// this many the rest is noise.
constexpr std::size_t kMaxProblems = 200;
// Bounds that keep the walk linear even when YAML aliases repeat a big node.
constexpr std::size_t kMaxGigs = 100;
constexpr std::size_t kMaxTags = 20;
constexpr double kMaxPrice = 1'000'000;

const std::vector<std::string_view> kCategories = {"data",     "code",    "writing",    "creative",
                                                   "research", "finance", "automation", "ai"};

struct Position {
  int line = 1;
  int column = 1;
};

Position position_of(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

// 1-based line and byte column of a byte offset into `text`.
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

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ", ";
    out += words[i];
  }
  return out;
}

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A value quoted for a message: shortened, with control bytes escaped so an
// environment variable cannot forge extra lines in the output.
std::string quote_for_message(std::string_view value) {
  constexpr std::size_t kShown = 40;
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size() && i < kShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
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

// The first byte that is not valid UTF-8, or a control character YAML does
// not allow, with a description of what is wrong.
struct EncodingIssue {
  std::size_t offset;
  std::string message;
};

std::optional<EncodingIssue> find_encoding_issue(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      const bool allowed_control = c == '\t' || c == '\n' || c == '\r';
      if ((c < 0x20 && !allowed_control) || c == 0x7f) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "0x%02x", c);
        return EncodingIssue{i, std::string("control character ") + buffer + " at byte offset " + std::to_string(i) +
                                    " is not allowed; expected a UTF-8 text file"};
      }
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      code_point = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      code_point = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      code_point = c & 0x07;
    }
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const unsigned char continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xc0) != 0x80) valid = false;
      code_point = (code_point << 6) | (continuation & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF.
    if (valid && length == 3 && (code_point < 0x800 || (code_point >= 0xd800 && code_point <= 0xdfff))) {
      valid = false;
    }
    if (valid && length == 4 && (code_point < 0x10000 || code_point > 0x10ffff)) valid = false;
    if (!valid) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "0x%02x", c);
      return EncodingIssue{i, std::string("invalid UTF-8 byte ") + buffer + " at byte offset " + std::to_string(i) +
                                  "; expected the file to be saved as UTF-8"};
    }
    i += length;
  }
  return std::nullopt;
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

// True when `value` spells a YAML 1.1 boolean, as yaml-cpp reads them.
std::optional<bool> parse_bool(const std::string& value) {
  const std::string lowered = lowercase(value);
  if (lowered == "true" || lowered == "yes" || lowered == "on") return true;
  if (lowered == "false" || lowered == "no" || lowered == "off") return false;
  return std::nullopt;
}

std::optional<long long> parse_integer(const std::string& value) {
  std::string_view digits = value;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  long long result = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), result);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return result;
}

std::optional<double> parse_number(const std::string& value) {
  std::string_view digits = value;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  double result = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), result, std::chars_format::general);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || !std::isfinite(result)) {
    return std::nullopt;
  }
  return result;
}

std::string format_number(double value) {
  return fmt::format("{}", value);
}

bool is_wallet(const std::string& value) {
  if (value.size() != 42 || value[0] != '0' || (value[1] != 'x' && value[1] != 'X')) return false;
  return std::all_of(value.begin() + 2, value.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool is_http_url(const std::string& value) {
  return (value.starts_with("http://") && value.size() > 7) || (value.starts_with("https://") && value.size() > 8);
}

struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class Loader;

// One YAML mapping of the schema: its entries by key, where to point when a
// key is missing, and the dotted path used in problems.
class Section {
 public:
  Section(std::string path, Position anchor) : path_(std::move(path)), anchor_(anchor) {}

  std::string field(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const std::string& path() const { return path_; }
  Position anchor() const { return anchor_; }

  const Entry* find(std::string_view key) const {
    const auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second];
  }

 private:
  friend class Loader;
  std::string path_;
  Position anchor_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

struct StringRule {
  bool required = false;         // missing or empty is a problem
  bool secret = false;           // never echo the value in a problem
  bool allow_unset_env = false;  // an unset ${VAR} silently becomes ""
  std::string_view expected = "a string";
};

// A scalar value read from the document, after ${ENV} interpolation.
struct ScalarRead {
  enum class State { Value, Null, Bad } state = State::Null;
  std::string text;
  Position position;
};

class Loader {
 public:
  Loader(std::string_view source, std::string file, EnvLookup env)
      : source_(source), file_(std::move(file)), env_(std::move(env)) {}

  LoadResult run();

 private:
  void add(Position position, std::string field, std::string message);

  // Checks the raw bytes; false when parsing must not be attempted.
  bool check_text();

  std::optional<Section> open_section(const YAML::Node& node, std::string path, Position anchor,
                                      const std::vector<std::string_view>& known_keys, std::string_view expected);
  std::optional<Section> child_section(const Section& parent, std::string_view key,
                                       const std::vector<std::string_view>& known_keys, bool required,
                                       std::string_view expected);

  Position value_position(const Entry& entry) const;
  Position interpolation_position(const YAML::Node& node, const InterpolationIssue& issue) const;
  bool report_unterminated_quote(const YAML::Node& node, const std::string& field);

  ScalarRead read_scalar(const YAML::Node& node, Position position, const std::string& field, std::string_view expected,
                         const StringRule& rule);

  void read_string(const Section& section, std::string_view key, std::string& out, const StringRule& rule = {});
  void read_int(const Section& section, std::string_view key, int& out, int minimum, int maximum);
  void read_number(const Section& section, std::string_view key, double& out, double minimum, double maximum,
                   std::string_view expected_override = "");
  void read_bool(const Section& section, std::string_view key, bool& out);
  std::optional<std::string> read_choice(const Section& section, std::string_view key,
                                         const std::vector<std::string_view>& allowed, bool required = false);
  void read_string_list(const Section& section, std::string_view key, std::vector<std::string>& out);
  void read_url(const Section& section, std::string_view key, std::string& out);

  void read_agent(const Section& root);
  void read_owner(const Section& root);
  void read_gigs(const Section& root);
  void read_gig(const YAML::Node& node, std::size_t index);
  std::optional<Tier> read_tier(const Section& pricing, std::string_view key, bool required);
  void read_runtime(const Section& root);
  void read_execution(const Section& root);
  void read_delivery(const Section& root);
  void read_heartbeat(const Section& root);
  void read_logging(const Section& root);
  void read_backend(const Section& root);

  std::string_view source_;
  std::string file_;
  EnvLookup env_;
  LoadResult result_;
  bool too_many_problems_ = false;
  bool unterminated_quote_reported_ = false;
  // Gig titles seen so far (case-insensitive) and where.
  std::unordered_map<std::string, std::pair<std::size_t, Position>> gig_titles_;
};

void Loader::add(Position position, std::string field, std::string message) {
  if (too_many_problems_) return;
  if (result_.problems.size() >= kMaxProblems) {
    too_many_problems_ = true;
    message = "too many problems; stopped reporting after " + std::to_string(kMaxProblems);
    field.clear();
  }
  result_.problems.push_back(Problem{file_, position.line, position.column, std::move(field), std::move(message)});
}

bool Loader::check_text() {
  if (source_.size() > kMaxFileBytes) {
    add({}, "",
        "file is " + std::to_string(source_.size()) + " bytes; expected at most " + std::to_string(kMaxFileBytes) +
            " bytes (1 MiB) for a gigent-agent.yaml");
    return false;
  }
  if (const auto issue = find_encoding_issue(source_)) {
    add(position_of_offset(source_, issue->offset), "", issue->message);
    return false;
  }
  return true;
}

Position Loader::value_position(const Entry& entry) const {
  // yaml-cpp gives an empty value the mark of whatever follows it (often the
  // next line), so point at the key instead.
  if (!entry.value || entry.value.IsNull() || entry.value.Mark().is_null()) {
    return position_of(entry.key_node.Mark());
  }
  return position_of(entry.value.Mark());
}

Position Loader::interpolation_position(const YAML::Node& node, const InterpolationIssue& issue) const {
  const YAML::Mark mark = node.Mark();
  Position base = position_of(mark);
  if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= source_.size()) {
    return base;
  }
  const std::size_t start = static_cast<std::size_t>(mark.pos);
  std::size_t line_end = source_.find('\n', start);
  if (line_end == std::string_view::npos) line_end = source_.size();
  const std::string_view raw_line = source_.substr(start, line_end - start);
  // A plain or simply quoted one-line value has the same bytes as its source.
  const std::size_t skip = (!raw_line.empty() && (raw_line[0] == '"' || raw_line[0] == '\'')) ? 1 : 0;
  if (raw_line.substr(skip + issue.offset, 2) == "${") {
    base.column += static_cast<int>(skip + issue.offset);
    return base;
  }
  // Otherwise (escapes, folded lines) look for the reference by name.
  if (!issue.variable.empty()) {
    const std::size_t found = raw_line.find("${" + issue.variable);
    if (found != std::string_view::npos) base.column += static_cast<int>(found);
  }
  return base;
}

// yaml-cpp accepts a quoted string that runs to the end of the file when the
// file ends with a newline, silently swallowing everything after the opening
// quote. Find the closing quote ourselves for each quoted scalar we read.
bool Loader::report_unterminated_quote(const YAML::Node& node, const std::string& field) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= source_.size()) {
    return false;
  }
  const std::size_t start = static_cast<std::size_t>(mark.pos);
  const char quote = source_[start];
  if (quote != '"' && quote != '\'') return false;
  for (std::size_t i = start + 1; i < source_.size(); ++i) {
    const char c = source_[i];
    if (quote == '"' && c == '\\') {
      ++i;  // the escaped character cannot close the string
    } else if (c == quote) {
      if (quote == '\'' && i + 1 < source_.size() && source_[i + 1] == '\'') {
        ++i;  // '' is an escaped single quote
      } else {
        return false;
      }
    }
  }
  if (!unterminated_quote_reported_) {
    unterminated_quote_reported_ = true;
    add(position_of(mark), field,
        std::string("quoted string is never closed, so it swallows the rest of the file; "
                    "expected a closing ") +
            quote);
  }
  return true;
}

std::optional<Section> Loader::open_section(const YAML::Node& node, std::string path, Position anchor,
                                            const std::vector<std::string_view>& known_keys,
                                            std::string_view expected) {
  Section section(std::move(path), anchor);
  // An empty section (`heartbeat:` with nothing under it) means all defaults.
  if (!node || node.IsNull()) return section;
  if (!node.IsMap()) {
    const Position where = node.Mark().is_null() ? anchor : position_of(node.Mark());
    add(where, section.path(), "is " + kind_of(node) + "; expected " + std::string(expected));
    return std::nullopt;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    Entry entry{"", it->first, it->second};
    const Position key_position = position_of(entry.key_node.Mark());
    if (!entry.key_node.IsScalar()) {
      add(key_position, section.path(),
          "a key is " + kind_of(entry.key_node) + "; expected a plain name like `" + std::string(known_keys.front()) +
              "`");
      continue;
    }
    entry.key = entry.key_node.Scalar();
    const std::string field = section.field(entry.key);
    if (report_unterminated_quote(entry.key_node, field)) continue;
    if (section.index_.count(entry.key) != 0) {
      const Entry& first = section.entries_[section.index_[entry.key]];
      add(key_position, field,
          "duplicate key (first set at line " + std::to_string(position_of(first.key_node.Mark()).line) +
              "); expected each key once per section");
      continue;
    }
    if (std::find(known_keys.begin(), known_keys.end(), entry.key) == known_keys.end()) {
      std::string message = "unknown key; ";
      if (const auto suggestion = closest_match(entry.key, known_keys)) {
        message += "did you mean `" + *suggestion + "`?";
      } else {
        message += "expected one of: " + join(known_keys);
      }
      add(key_position, field, std::move(message));
      continue;
    }
    section.index_[entry.key] = section.entries_.size();
    section.entries_.push_back(std::move(entry));
  }
  return section;
}

std::optional<Section> Loader::child_section(const Section& parent, std::string_view key,
                                             const std::vector<std::string_view>& known_keys, bool required,
                                             std::string_view expected) {
  const Entry* entry = parent.find(key);
  if (entry == nullptr) {
    if (required) {
      add(parent.anchor(), parent.field(key), "section is missing; expected " + std::string(expected));
      return std::nullopt;
    }
    return Section(parent.field(key), parent.anchor());
  }
  return open_section(entry->value, parent.field(key), position_of(entry->key_node.Mark()), known_keys, expected);
}

ScalarRead Loader::read_scalar(const YAML::Node& node, Position position, const std::string& field,
                               std::string_view expected, const StringRule& rule) {
  ScalarRead read;
  read.position = position;
  if (!node || node.IsNull()) return read;
  if (!node.IsScalar()) {
    add(position, field, "is " + kind_of(node) + "; expected " + std::string(expected));
    read.state = ScalarRead::State::Bad;
    return read;
  }
  if (report_unterminated_quote(node, field)) {
    read.state = ScalarRead::State::Bad;
    return read;
  }
  InterpolationResult interpolated = interpolate_env(node.Scalar(), env_);
  bool broken = false;
  for (const InterpolationIssue& issue : interpolated.issues) {
    if (issue.kind == InterpolationIssue::Kind::UnsetVariable && rule.allow_unset_env) continue;
    add(interpolation_position(node, issue), field, issue.message);
    broken = true;
  }
  read.state = broken ? ScalarRead::State::Bad : ScalarRead::State::Value;
  read.text = std::move(interpolated.value);
  return read;
}

void Loader::read_string(const Section& section, std::string_view key, std::string& out, const StringRule& rule) {
  const std::string field = section.field(key);
  const Entry* entry = section.find(key);
  if (entry == nullptr) {
    if (rule.required) {
      add(section.anchor(), field, "is missing; expected " + std::string(rule.expected));
    }
    return;
  }
  const ScalarRead read = read_scalar(entry->value, value_position(*entry), field, rule.expected, rule);
  if (read.state == ScalarRead::State::Bad) return;
  if (rule.required && trim(read.text).empty()) {
    add(read.position, field, "is empty; expected " + std::string(rule.expected));
    return;
  }
  out = read.text;
}

void Loader::read_int(const Section& section, std::string_view key, int& out, int minimum, int maximum) {
  const Entry* entry = section.find(key);
  if (entry == nullptr) return;  // keep the default
  const std::string field = section.field(key);
  const std::string expected = "an integer from " + std::to_string(minimum) + " to " + std::to_string(maximum);
  const ScalarRead read = read_scalar(entry->value, value_position(*entry), field, expected, {});
  if (read.state == ScalarRead::State::Bad) return;
  if (read.state == ScalarRead::State::Null) {
    add(read.position, field, "has no value; expected " + expected + " (or omit the key for the default)");
    return;
  }
  const std::string text = trim(read.text);
  const auto value = parse_integer(text);
  if (!value) {
    add(read.position, field, quote_for_message(text) + " is not an integer; expected " + expected);
    return;
  }
  if (*value < minimum || *value > maximum) {
    add(read.position, field, std::to_string(*value) + " is out of range; expected " + expected);
    return;
  }
  out = static_cast<int>(*value);
}

void Loader::read_number(const Section& section, std::string_view key, double& out, double minimum, double maximum,
                         std::string_view expected_override) {
  const Entry* entry = section.find(key);
  if (entry == nullptr) return;
  const std::string field = section.field(key);
  const std::string expected = expected_override.empty()
                                   ? "a number from " + format_number(minimum) + " to " + format_number(maximum)
                                   : std::string(expected_override);
  const ScalarRead read = read_scalar(entry->value, value_position(*entry), field, expected, {});
  if (read.state == ScalarRead::State::Bad) return;
  if (read.state == ScalarRead::State::Null) {
    add(read.position, field, "has no value; expected " + expected);
    return;
  }
  const std::string text = trim(read.text);
  const auto value = parse_number(text);
  if (!value) {
    add(read.position, field, quote_for_message(text) + " is not a number; expected " + expected);
    return;
  }
  if (*value < minimum || *value > maximum) {
    add(read.position, field, text + " is out of range; expected " + expected);
    return;
  }
  out = *value;
}

void Loader::read_bool(const Section& section, std::string_view key, bool& out) {
  const Entry* entry = section.find(key);
  if (entry == nullptr) return;
  const std::string field = section.field(key);
  constexpr std::string_view expected = "true or false";
  const ScalarRead read = read_scalar(entry->value, value_position(*entry), field, expected, {});
  if (read.state == ScalarRead::State::Bad) return;
  if (read.state == ScalarRead::State::Null) {
    add(read.position, field, "has no value; expected true or false");
    return;
  }
  const std::string text = trim(read.text);
  const auto value = parse_bool(text);
  if (!value) {
    add(read.position, field, quote_for_message(text) + " is not a boolean; expected true or false");
    return;
  }
  out = *value;
}

std::optional<std::string> Loader::read_choice(const Section& section, std::string_view key,
                                               const std::vector<std::string_view>& allowed, bool required) {
  const std::string field = section.field(key);
  const std::string expected = "one of: " + join(allowed);
  const Entry* entry = section.find(key);
  if (entry == nullptr) {
    if (required) add(section.anchor(), field, "is missing; expected " + expected);
    return std::nullopt;
  }
  const ScalarRead read = read_scalar(entry->value, value_position(*entry), field, expected, {});
  if (read.state == ScalarRead::State::Bad) return std::nullopt;
  const std::string text = trim(read.text);
  if (read.state == ScalarRead::State::Null || text.empty()) {
    add(read.position, field, "has no value; expected " + expected);
    return std::nullopt;
  }
  if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) return text;
  std::string message = quote_for_message(text) + " is not allowed; expected " + expected;
  if (const auto suggestion = closest_match(text, allowed)) {
    message += " (did you mean `" + *suggestion + "`?)";
  }
  add(read.position, field, std::move(message));
  return std::nullopt;
}

void Loader::read_string_list(const Section& section, std::string_view key, std::vector<std::string>& out) {
  const Entry* entry = section.find(key);
  if (entry == nullptr || !entry->value || entry->value.IsNull()) return;
  const std::string field = section.field(key);
  constexpr std::string_view expected = "a list of words, e.g. [blog, seo]";
  if (!entry->value.IsSequence()) {
    add(value_position(*entry), field, "is " + kind_of(entry->value) + "; expected " + std::string(expected));
    return;
  }
  if (entry->value.size() > kMaxTags) {
    add(value_position(*entry), field,
        "has " + std::to_string(entry->value.size()) + " items; expected at most " + std::to_string(kMaxTags));
    return;
  }
  std::vector<std::string> values;
  for (std::size_t i = 0; i < entry->value.size(); ++i) {
    const YAML::Node item = entry->value[i];
    const std::string item_field = field + "[" + std::to_string(i) + "]";
    const Position position = item.Mark().is_null() ? value_position(*entry) : position_of(item.Mark());
    const ScalarRead read = read_scalar(item, position, item_field, "a word", {});
    if (read.state == ScalarRead::State::Bad) continue;
    const std::string text = trim(read.text);
    if (text.empty()) {
      add(position, item_field, "is empty; expected a word");
      continue;
    }
    values.push_back(text);
  }
  out = std::move(values);
}

void Loader::read_url(const Section& section, std::string_view key, std::string& out) {
  std::string url;
  read_string(section, key, url, {.expected = "an http:// or https:// URL"});
  url = trim(url);
  if (url.empty()) return;
  if (!is_http_url(url)) {
    const Entry* entry = section.find(key);
    add(value_position(*entry), section.field(key),
        quote_for_message(url) + " is not a URL; expected an http:// or https:// URL");
    return;
  }
  out = url;
}

const std::vector<std::string_view> kRootKeys = {"agent",    "owner",     "gigs",    "runtime", "execution",
                                                 "delivery", "heartbeat", "logging", "backend"};
const std::vector<std::string_view> kAgentKeys = {"name", "description", "category", "tags", "avatar_url"};
const std::vector<std::string_view> kOwnerKeys = {"wallet"};
const std::vector<std::string_view> kGigKeys = {
    "title",         "description",   "category",       "subcategory", "tags", "pricing", "delivery_time_hours",
    "max_revisions", "example_input", "example_output", "replaces"};
const std::vector<std::string_view> kPricingKeys = {"basic", "standard", "premium"};
const std::vector<std::string_view> kTierKeys = {"price", "description"};
const std::vector<std::string_view> kRuntimeKeys = {
    "poll_interval_seconds", "auto_accept",         "max_concurrent_orders", "shutdown_grace_seconds",
    "max_order_attempts",    "failed_order_action", "allow_replicas",        "long_poll_seconds"};
const std::vector<std::string_view> kExecutionKeys = {
    "provider", "model",           "system_prompt",           "temperature", "max_tokens", "api_key",
    "base_url", "timeout_seconds", "connect_timeout_seconds", "max_retries"};
const std::vector<std::string_view> kDeliveryKeys = {"format", "auto_deliver", "truncation_marker"};
const std::vector<std::string_view> kHeartbeatKeys = {"enabled", "interval_seconds"};
const std::vector<std::string_view> kLoggingKeys = {"level", "format"};
const std::vector<std::string_view> kBackendKeys = {"url"};

void Loader::read_agent(const Section& root) {
  const auto agent =
      child_section(root, "agent", kAgentKeys, true, "a mapping with at least `name` (the agent's display name)");
  if (!agent) return;
  AgentSection& out = result_.config.agent;
  read_string(*agent, "name", out.name,
              {.required = true, .expected = "a non-empty string (the agent's display name)"});
  read_string(*agent, "description", out.description);
  if (const auto category = read_choice(*agent, "category", kCategories)) out.category = *category;
  read_string_list(*agent, "tags", out.tags);
  read_url(*agent, "avatar_url", out.avatar_url);
}

void Loader::read_owner(const Section& root) {
  const auto owner =
      child_section(root, "owner", kOwnerKeys, true, "a mapping with `wallet` (0x followed by 40 hex digits)");
  if (!owner) return;
  std::string wallet;
  read_string(*owner, "wallet", wallet,
              {.required = true, .expected = "a wallet address: 0x followed by 40 hex digits"});
  wallet = trim(wallet);
  if (wallet.empty()) return;
  if (!is_wallet(wallet)) {
    add(value_position(*owner->find("wallet")), owner->field("wallet"),
        quote_for_message(wallet) + " is not a wallet address; expected 0x followed by 40 hex digits");
    return;
  }
  result_.config.owner.wallet = wallet;
}

std::optional<Tier> Loader::read_tier(const Section& pricing, std::string_view key, bool required) {
  const auto tier = child_section(pricing, key, kTierKeys, required, "a mapping with `price` and `description`");
  if (!tier) return std::nullopt;
  if (pricing.find(key) == nullptr) return std::nullopt;  // optional tier left out
  Tier out;
  const std::string expected_price = "a price in USD greater than 0 and at most " + format_number(kMaxPrice);
  const Entry* price = tier->find("price");
  if (price == nullptr) {
    add(tier->anchor(), tier->field("price"), "is missing; expected " + expected_price);
  } else {
    // -1 marks "not read": range problems are reported by read_number.
    out.price = -1;
    read_number(*tier, "price", out.price, 0, kMaxPrice, expected_price);
    if (out.price == 0) {
      add(value_position(*price), tier->field("price"), "0 is not a price; expected " + expected_price);
    }
  }
  read_string(*tier, "description", out.description,
              {.required = true, .expected = "a non-empty string saying what this tier delivers"});
  return out;
}

void Loader::read_gig(const YAML::Node& node, std::size_t index) {
  const std::string path = "gigs[" + std::to_string(index) + "]";
  const Position position = position_of(node.Mark());
  if (!node.IsMap()) {
    add(position, path, "is " + kind_of(node) + "; expected a mapping with title, description, category and pricing");
    return;
  }
  const auto gig = open_section(node, path, position, kGigKeys, "a gig mapping");
  if (!gig) return;
  Gig out;
  read_string(*gig, "title", out.title, {.required = true, .expected = "a non-empty title"});
  const std::string title_key = lowercase(trim(out.title));
  if (!title_key.empty()) {
    const Position title_position = value_position(*gig->find("title"));
    const auto [it, inserted] = gig_titles_.emplace(title_key, std::make_pair(index, title_position));
    if (!inserted) {
      add(title_position, gig->field("title"),
          "duplicate gig title (same as gigs[" + std::to_string(it->second.first) + "] at line " +
              std::to_string(it->second.second.line) +
              "); expected each gig to have its own title, since gigs are matched by title when "
              "publishing");
    }
  }
  read_string(*gig, "description", out.description,
              {.required = true, .expected = "a non-empty description of the service"});
  if (const auto category = read_choice(*gig, "category", kCategories, true)) {
    out.category = *category;
  }
  read_string(*gig, "subcategory", out.subcategory);
  read_string_list(*gig, "tags", out.tags);
  if (const auto pricing = child_section(*gig, "pricing", kPricingKeys, true,
                                         "a mapping with a `basic` tier (price and description), "
                                         "optionally `standard` and `premium`")) {
    if (const auto basic = read_tier(*pricing, "basic", true)) out.basic = *basic;
    out.standard = read_tier(*pricing, "standard", false);
    out.premium = read_tier(*pricing, "premium", false);
  }
  read_int(*gig, "delivery_time_hours", out.delivery_time_hours, 1, 8760);
  read_int(*gig, "max_revisions", out.max_revisions, 0, 100);
  read_string(*gig, "example_input", out.example_input);
  read_string(*gig, "example_output", out.example_output);
  if (std::string replaces; gig->find("replaces") != nullptr) {
    read_string(*gig, "replaces", replaces);
    if (!replaces.empty()) out.replaces = replaces;
  }
  result_.config.gigs.push_back(std::move(out));
}

void Loader::read_gigs(const Section& root) {
  constexpr std::string_view expected = "a list of gigs, each starting with `- title: ...` (at least one)";
  const Entry* entry = root.find("gigs");
  if (entry == nullptr) {
    add(root.anchor(), "gigs", "section is missing; expected " + std::string(expected));
    return;
  }
  const YAML::Node& gigs = entry->value;
  if (!gigs || gigs.IsNull() || (gigs.IsSequence() && gigs.size() == 0)) {
    add(value_position(*entry), "gigs", "has no gigs; expected " + std::string(expected));
    return;
  }
  if (!gigs.IsSequence()) {
    add(value_position(*entry), "gigs", "is " + kind_of(gigs) + "; expected " + std::string(expected));
    return;
  }
  if (gigs.size() > kMaxGigs) {
    add(value_position(*entry), "gigs",
        "has " + std::to_string(gigs.size()) + " gigs; expected at most " + std::to_string(kMaxGigs));
    return;
  }
  for (std::size_t i = 0; i < gigs.size(); ++i) read_gig(gigs[i], i);
}

void Loader::read_runtime(const Section& root) {
  const auto runtime = child_section(root, "runtime", kRuntimeKeys, false, "a mapping of runtime settings");
  if (!runtime) return;
  RuntimeSection& out = result_.config.runtime;
  read_int(*runtime, "poll_interval_seconds", out.poll_interval_seconds, 1, 3600);
  read_bool(*runtime, "auto_accept", out.auto_accept);
  read_int(*runtime, "max_concurrent_orders", out.max_concurrent_orders, 1, 256);
  read_int(*runtime, "shutdown_grace_seconds", out.shutdown_grace_seconds, 0, 3600);
  read_int(*runtime, "max_order_attempts", out.max_order_attempts, 1, 100);
  if (const auto action = read_choice(*runtime, "failed_order_action", {"leave", "reject", "cancel"})) {
    if (*action == "leave") out.failed_order_action = FailedOrderAction::Leave;
    if (*action == "reject") out.failed_order_action = FailedOrderAction::Reject;
    if (*action == "cancel") out.failed_order_action = FailedOrderAction::Cancel;
  }
  read_bool(*runtime, "allow_replicas", out.allow_replicas);
  read_int(*runtime, "long_poll_seconds", out.long_poll_seconds, 0, 300);
}

void Loader::read_execution(const Section& root) {
  const auto execution = child_section(root, "execution", kExecutionKeys, false, "a mapping of LLM settings");
  if (!execution) return;
  ExecutionSection& out = result_.config.execution;
  if (const auto provider = read_choice(*execution, "provider", {"anthropic", "openai"})) {
    out.provider = *provider;
  }
  read_string(*execution, "model", out.model,
              {.required = execution->find("model") != nullptr, .expected = "a model name, e.g. claude-sonnet-4-5"});
  read_string(*execution, "system_prompt", out.system_prompt);
  // Anthropic's API rejects temperatures above 1.
  if (out.provider == "anthropic") {
    read_number(*execution, "temperature", out.temperature, 0, 1,
                "a number from 0 to 1 (the anthropic provider's range)");
  } else {
    read_number(*execution, "temperature", out.temperature, 0, 2);
  }
  read_int(*execution, "max_tokens", out.max_tokens, 1, 200000);
  // An unset ${VAR} here is fine: the provider's own variable is used later.
  read_string(*execution, "api_key", out.api_key,
              {.secret = true, .allow_unset_env = true, .expected = "an API key string"});
  out.api_key = trim(out.api_key);
  read_url(*execution, "base_url", out.base_url);
  read_int(*execution, "timeout_seconds", out.timeout_seconds, 1, 3600);
  read_int(*execution, "connect_timeout_seconds", out.connect_timeout_seconds, 1, 300);
  read_int(*execution, "max_retries", out.max_retries, 0, 10);
}

void Loader::read_delivery(const Section& root) {
  const auto delivery = child_section(root, "delivery", kDeliveryKeys, false, "a mapping of delivery settings");
  if (!delivery) return;
  DeliverySection& out = result_.config.delivery;
  if (const auto format = read_choice(*delivery, "format", {"markdown", "text", "json"})) {
    if (*format == "markdown") out.format = DeliveryFormat::Markdown;
    if (*format == "text") out.format = DeliveryFormat::Text;
    if (*format == "json") out.format = DeliveryFormat::Json;
  }
  read_bool(*delivery, "auto_deliver", out.auto_deliver);
  read_string(*delivery, "truncation_marker", out.truncation_marker);
}

void Loader::read_heartbeat(const Section& root) {
  const auto heartbeat = child_section(root, "heartbeat", kHeartbeatKeys, false, "a mapping of heartbeat settings");
  if (!heartbeat) return;
  read_bool(*heartbeat, "enabled", result_.config.heartbeat.enabled);
  read_int(*heartbeat, "interval_seconds", result_.config.heartbeat.interval_seconds, 5, 3600);
}

void Loader::read_logging(const Section& root) {
  const auto logging = child_section(root, "logging", kLoggingKeys, false, "a mapping of logging settings");
  if (!logging) return;
  if (const auto level = read_choice(*logging, "level", {"debug", "info", "warn", "error"})) {
    result_.config.logging.level = *level;
  }
  if (const auto format = read_choice(*logging, "format", {"text", "json"})) {
    result_.config.logging.format = *format;
  }
}

void Loader::read_backend(const Section& root) {
  const auto backend = child_section(root, "backend", kBackendKeys, false, "a mapping with `url`");
  if (!backend) return;
  read_url(*backend, "url", result_.config.backend.url);
}

LoadResult Loader::run() {
  try {
    if (!check_text()) return std::move(result_);
    // A UTF-8 byte order mark is legal but invisible in editors: drop it so
    // columns on line 1 match what the user sees.
    if (source_.starts_with("\xEF\xBB\xBF")) source_.remove_prefix(3);

    YAML::Node document;
    try {
      document = YAML::Load(std::string(source_));
    } catch (const YAML::ParserException& error) {
      // yaml-cpp's depth guard reports nesting past 500 levels as "bad file".
      if (error.msg == "bad file") {
        add(position_of(error.mark), "",
            "nesting is too deep; expected a gigent-agent.yaml nested a few levels at most");
      } else {
        const Position error_position = position_of(error.mark);
        if (const auto tab = find_tab_indentation(source_, error_position.line)) {
          add(*tab, "",
              "tab character in indentation; YAML indentation must use spaces (it makes the "
              "YAML syntax error at line " +
                  std::to_string(error_position.line) + " column " + std::to_string(error_position.column) + ": " +
                  error.msg + ")");
          return std::move(result_);
        }
        std::string message = explain_syntax_error(error.msg);
        if (const auto quote = find_unbalanced_double_quote(source_, position_of(error.mark).line)) {
          message += " (the `\"` at line " + std::to_string(quote->line) + " column " + std::to_string(quote->column) +
                     " is probably never closed)";
        }
        add(position_of(error.mark), "", std::move(message));
      }
      return std::move(result_);
    }

    const std::string sections_hint =
        "expected a mapping with the sections agent, owner and gigs (run `gigent-runtime init` "
        "for a commented template)";
    if (!document || document.IsNull()) {
      add({}, "", "file has no settings (it is empty or only comments); " + sections_hint);
      return std::move(result_);
    }
    if (!document.IsMap()) {
      add(position_of(document.Mark()), "", "the document is " + kind_of(document) + "; " + sections_hint);
      return std::move(result_);
    }
    const auto root = open_section(document, "", Position{}, kRootKeys, "a mapping");
    if (!root) return std::move(result_);
    read_agent(*root);
    read_owner(*root);
    read_gigs(*root);
    read_runtime(*root);
    read_execution(*root);
    read_delivery(*root);
    read_heartbeat(*root);
    read_logging(*root);
    read_backend(*root);
  } catch (const std::exception& error) {
    // Not expected: every node access above is type-checked first. Still, a
    // config problem must never take the daemon down with an exception.
    add({}, "", std::string("internal error while reading the config: ") + error.what());
  } catch (...) {
    add({}, "", "internal error while reading the config");
  }
  std::stable_sort(result_.problems.begin(), result_.problems.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(result_);
}

}  // namespace

std::string Problem::to_string() const {
  std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

std::string to_string(DeliveryFormat format) {
  switch (format) {
    case DeliveryFormat::Markdown:
      return "markdown";
    case DeliveryFormat::Text:
      return "text";
    case DeliveryFormat::Json:
      return "json";
  }
  return "markdown";
}

std::string to_string(FailedOrderAction action) {
  switch (action) {
    case FailedOrderAction::Leave:
      return "leave";
    case FailedOrderAction::Reject:
      return "reject";
    case FailedOrderAction::Cancel:
      return "cancel";
  }
  return "leave";
}

LoadResult load_string_with_env(const std::string& yaml_text, const std::string& file_label, const EnvLookup& env) {
  Loader loader(yaml_text, file_label, env);
  return loader.run();
}

LoadResult load_string(const std::string& yaml_text, const std::string& file_label) {
  return load_string_with_env(yaml_text, file_label, process_env());
}

LoadResult load_file(const std::string& path) {
  LoadResult result;
  const auto fail = [&](std::string message) {
    result.problems.push_back(Problem{path, 1, 1, "", std::move(message)});
    return result;
  };
  if (path.empty()) return fail("no config path given; expected a path to gigent-agent.yaml");

  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) absolute = path;
  absolute = absolute.lexically_normal();

  const auto status = std::filesystem::status(absolute, error);
  if (error || !std::filesystem::exists(status)) {
    if (error && error != std::errc::no_such_file_or_directory) {
      return fail("cannot read: " + error.message());
    }
    return fail("file not found; run `gigent-runtime init` to create one");
  }
  if (std::filesystem::is_directory(status)) {
    return fail("is a directory; expected a YAML file such as gigent-agent.yaml");
  }

  std::ifstream in(absolute, std::ios::binary);
  if (!in) return fail(std::string("cannot open: ") + errno_text(errno));
  // Read at most one byte past the limit: enough to refuse a huge file
  // (or an endless one like /dev/zero) without loading it.
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail(std::string("cannot read: ") + errno_text(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    return fail("file is larger than 1 MiB; expected a gigent-agent.yaml of a few KiB");
  }

  result = load_string(text, path);
  result.config.path = absolute.string();
  return result;
}

}  // namespace gigent::config
