#pragma once
// A compiled "pattern" / "patternProperties" regular expression.
#include <memory>
#include <regex>
#include <string>
#include <string_view>

namespace gigent::jsonschema {

class Pattern {
 public:
  // Throws std::regex_error (or std::invalid_argument for a pattern we refuse
  // to run); the compiler turns either into a SchemaError with the location.
  explicit Pattern(const std::string& source);

  // Whether the pattern matches anywhere in `text` (ECMA-262 search, not a
  // full match). Safe to call from many threads at once.
  bool search(std::string_view text) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::shared_ptr<const std::regex> regex_;
};

}  // namespace gigent::jsonschema
