#include "config/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

#include "common/text.h"
#include "config/suggest.h"

namespace gigent::config {

namespace {

// A broken file can produce thousands of problems (e.g. a pasted log); past
// this many the rest is noise.
constexpr std::size_t kMaxProblems = 200;
// Bounds the work of a list even when YAML aliases repeat a big node.
constexpr std::size_t kMaxListItems = 20;

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

bool is_http_url(const std::string& value) {
  return (value.starts_with("http://") && value.size() > 7) || (value.starts_with("https://") && value.size() > 8);
}

}  // namespace

std::string format_number(double value) {
  return fmt::format("{}", value);
}

void Reader::record(Severity severity, Position position, std::string field, std::string message) {
  std::vector<Problem>& list = severity == Severity::Error ? problems_ : warnings_;
  if (list.size() > kMaxProblems) return;
  if (list.size() == kMaxProblems) {
    message = std::string("too many ") + (severity == Severity::Error ? "problems" : "warnings") +
              "; stopped reporting after " + std::to_string(kMaxProblems);
    field.clear();
  }
  list.push_back(Problem{file_, position.line, position.column, std::move(field), std::move(message), severity});
}

void Reader::add(Position position, std::string field, std::string message) {
  record(Severity::Error, position, std::move(field), std::move(message));
}

void Reader::warn(Position position, std::string field, std::string message) {
  record(strict_ ? Severity::Error : Severity::Warning, position, std::move(field), std::move(message));
}

void Reader::finish(LoadResult& result) {
  const auto by_position = [](const Problem& a, const Problem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  };
  std::stable_sort(problems_.begin(), problems_.end(), by_position);
  std::stable_sort(warnings_.begin(), warnings_.end(), by_position);
  result.problems = std::move(problems_);
  result.warnings = std::move(warnings_);
}

Position Reader::value_position(const Entry& entry) const {
  // yaml-cpp gives an empty value the mark of whatever follows it (often the
  // next line), so point at the key instead.
  if (!entry.value || entry.value.IsNull() || entry.value.Mark().is_null()) {
    return position_of(entry.key_node.Mark());
  }
  return position_of(entry.value.Mark());
}

Position Reader::interpolation_position(const YAML::Node& node, const InterpolationIssue& issue) const {
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
bool Reader::report_unterminated_quote(const YAML::Node& node, const std::string& field) {
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

std::optional<Section> Reader::open_section(const YAML::Node& node, std::string path, Position anchor,
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
      // Files written for the TypeScript runtime may carry keys it ignores.
      warn(key_position, field, strict_ ? std::move(message) : std::move(message) + " (ignored)");
      continue;
    }
    section.index_[entry.key] = section.entries_.size();
    section.entries_.push_back(std::move(entry));
  }
  return section;
}

std::optional<Section> Reader::child_section(const Section& parent, std::string_view key,
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

ScalarRead Reader::read_scalar(const YAML::Node& node, Position position, const std::string& field,
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
    // A malformed reference's message quotes what is between the braces,
    // which in a secret is often the key itself pasted into `${...}`.
    const bool hide_text = rule.secret && issue.kind == InterpolationIssue::Kind::Malformed;
    add(interpolation_position(node, issue), field,
        hide_text ? "this `${` reference is not valid or never closed (its text is not shown: the value is a "
                    "secret); expected ${NAME} where NAME is letters, digits and _, e.g. ${ANTHROPIC_API_KEY}"
                  : issue.message);
    broken = true;
  }
  read.state = broken ? ScalarRead::State::Bad : ScalarRead::State::Value;
  read.text = std::move(interpolated.value);
  return read;
}

void Reader::read_string(const Section& section, std::string_view key, std::string& out, const StringRule& rule) {
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

void Reader::read_int(const Section& section, std::string_view key, int& out, int minimum, int maximum) {
  const std::string field = section.field(key);
  const std::string expected = "an integer from " + std::to_string(minimum) + " to " + std::to_string(maximum);
  const auto read = read_number_text(section, key, field, expected);
  if (!read) return;
  const std::string& text = read->text;
  const auto value = parse_integer(text);
  if (!value) {
    add(read->position, field, quote_for_message(text) + " is not an integer; expected " + expected);
    return;
  }
  if (*value < minimum || *value > maximum) {
    add(read->position, field, std::to_string(*value) + " is out of range; expected " + expected);
    return;
  }
  out = static_cast<int>(*value);
}

std::optional<ScalarRead> Reader::read_number_text(const Section& section, std::string_view key,
                                                   const std::string& field, const std::string& expected) {
  const Entry* entry = section.find(key);
  if (entry == nullptr) return std::nullopt;
  ScalarRead read = read_scalar(entry->value, value_position(*entry), field, expected, {});
  if (read.state == ScalarRead::State::Bad) return std::nullopt;
  if (read.state == ScalarRead::State::Null) {
    add(read.position, field, "has no value; expected " + expected + " (or omit the key for the default)");
    return std::nullopt;
  }
  read.text = trim(read.text);
  return read;
}

void Reader::read_seconds(const Section& section, std::string_view key, int& out, const SecondsRule& rule) {
  const std::string field = section.field(key);
  const std::string expected =
      "an integer from " + std::to_string(rule.advised_minimum) + " to " + std::to_string(rule.maximum);
  const auto read_text = read_number_text(section, key, field, expected);
  if (!read_text) return;
  const ScalarRead& read = *read_text;
  const std::string& text = read.text;
  const auto value = parse_number(text);
  if (!value) {
    add(read.position, field, quote_for_message(text) + " is not an integer; expected " + expected);
    return;
  }
  if (*value <= 0 || *value > rule.maximum) {
    add(read.position, field, format_number(*value) + " is out of range; expected " + expected);
    return;
  }
  const int whole = static_cast<int>(std::ceil(*value));
  const std::string rounded = whole == *value ? "" : "; used as " + std::to_string(whole) + " (whole seconds)";
  if (*value < rule.advised_minimum) {
    warn(read.position, field,
         format_number(*value) + " is below the advised range (" + expected +
             "): " + std::string(rule.why_not_smaller) + rounded);
  } else if (!rounded.empty()) {
    warn(read.position, field, format_number(*value) + " is not a whole number of seconds" + rounded);
  }
  out = whole;
}

void Reader::read_number(const Section& section, std::string_view key, double& out, double minimum, double maximum,
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

void Reader::read_bool(const Section& section, std::string_view key, bool& out) {
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

std::optional<std::string> Reader::read_word(const Section& section, std::string_view key, const std::string& expected,
                                             bool required) {
  const std::string field = section.field(key);
  const Entry* entry = section.find(key);
  if (entry == nullptr) {
    if (required) add(section.anchor(), field, "is missing; expected " + expected);
    return std::nullopt;
  }
  const ScalarRead read = read_scalar(entry->value, value_position(*entry), field, expected, {});
  if (read.state == ScalarRead::State::Bad) return std::nullopt;
  std::string text = trim(read.text);
  if (read.state == ScalarRead::State::Null || text.empty()) {
    add(read.position, field, "has no value; expected " + expected);
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> Reader::read_choice(const Section& section, std::string_view key,
                                               const std::vector<std::string_view>& allowed, bool required) {
  const std::string expected = "one of: " + join(allowed);
  std::optional<std::string> text = read_word(section, key, expected, required);
  if (!text || std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) return text;
  std::string message = quote_for_message(*text) + " is not allowed; expected " + expected;
  if (const auto suggestion = closest_match(*text, allowed)) {
    message += " (did you mean `" + *suggestion + "`?)";
  }
  add(value_position(*section.find(key)), section.field(key), std::move(message));
  return std::nullopt;
}

void Reader::read_string_list(const Section& section, std::string_view key, std::vector<std::string>& out) {
  const Entry* entry = section.find(key);
  if (entry == nullptr || !entry->value || entry->value.IsNull()) return;
  const std::string field = section.field(key);
  constexpr std::string_view expected = "a list of words, e.g. [blog, seo]";
  if (!entry->value.IsSequence()) {
    add(value_position(*entry), field, "is " + kind_of(entry->value) + "; expected " + std::string(expected));
    return;
  }
  if (entry->value.size() > kMaxListItems) {
    add(value_position(*entry), field,
        "has " + std::to_string(entry->value.size()) + " items; expected at most " + std::to_string(kMaxListItems));
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

void Reader::read_url(const Section& section, std::string_view key, std::string& out) {
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

}  // namespace gigent::config
