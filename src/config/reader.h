#pragma once
// Typed readers over the parsed YAML: one mapping of the schema at a time
// (`Section`), each value converted and checked by kind (string, integer,
// number, boolean, choice, list, URL). Every problem is collected with its
// position and dotted field path instead of stopping at the first. Internal
// to config/; the schema itself is in loader.cpp.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/interpolate.h"

namespace gigent::config {

struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

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
  friend class Reader;
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

// A duration in whole seconds, advised from `advised_minimum` to `maximum`.
// The TypeScript runtime takes any positive number, so smaller values and
// fractions load too, rounded up, with a warning; zero, negatives and values
// above `maximum` cannot work and are errors.
struct SecondsRule {
  int advised_minimum = 1;
  int maximum = 3600;
  std::string_view why_not_smaller;  // why a smaller value is unwise, and what to use instead
};

class Reader {
 public:
  // `strict`: warnings are recorded as errors.
  Reader(std::string_view source, std::string file, EnvLookup env, bool strict)
      : source_(source), file_(std::move(file)), env_(std::move(env)), strict_(strict) {}

  // Records an error: the config cannot be used. At most a couple of hundred
  // of each kind are kept; past that the rest is noise.
  void add(Position position, std::string field, std::string message);
  // Records a warning: the config loads, but this is unwise or ignored.
  void warn(Position position, std::string field, std::string message);
  // Hands over the errors and warnings, each sorted by position.
  void finish(LoadResult& result);

  std::optional<Section> open_section(const YAML::Node& node, std::string path, Position anchor,
                                      const std::vector<std::string_view>& known_keys, std::string_view expected);
  std::optional<Section> child_section(const Section& parent, std::string_view key,
                                       const std::vector<std::string_view>& known_keys, bool required,
                                       std::string_view expected);

  // Where a key's value is; the key itself when the value is empty.
  Position value_position(const Entry& entry) const;

  void read_string(const Section& section, std::string_view key, std::string& out, const StringRule& rule = {});
  void read_int(const Section& section, std::string_view key, int& out, int minimum, int maximum);
  void read_seconds(const Section& section, std::string_view key, int& out, const SecondsRule& rule);
  void read_number(const Section& section, std::string_view key, double& out, double minimum, double maximum,
                   std::string_view expected_override = "");
  void read_bool(const Section& section, std::string_view key, bool& out);
  // A present, non-empty single value, trimmed.
  std::optional<std::string> read_word(const Section& section, std::string_view key, const std::string& expected,
                                       bool required = false);
  std::optional<std::string> read_choice(const Section& section, std::string_view key,
                                         const std::vector<std::string_view>& allowed, bool required = false);
  void read_string_list(const Section& section, std::string_view key, std::vector<std::string>& out);
  void read_url(const Section& section, std::string_view key, std::string& out);

 private:
  void record(Severity severity, Position position, std::string field, std::string message);
  Position interpolation_position(const YAML::Node& node, const InterpolationIssue& issue) const;
  bool report_unterminated_quote(const YAML::Node& node, const std::string& field);
  // The trimmed value of a number key, or nothing when the key is absent
  // (keep the default) or its value is no usable scalar (problem recorded).
  std::optional<ScalarRead> read_number_text(const Section& section, std::string_view key, const std::string& field,
                                             const std::string& expected);
  ScalarRead read_scalar(const YAML::Node& node, Position position, const std::string& field, std::string_view expected,
                         const StringRule& rule);

  std::string_view source_;
  std::string file_;
  EnvLookup env_;
  bool strict_;
  std::vector<Problem> problems_;
  std::vector<Problem> warnings_;
  bool unterminated_quote_reported_ = false;
};

// Shortest form of a number for messages ("5", "0.5").
std::string format_number(double value);

}  // namespace gigent::config
