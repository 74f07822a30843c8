#include "jsonschema/pattern.h"

#include <cstddef>
#include <stdexcept>

namespace gigent::jsonschema {
namespace {

// libstdc++'s default (backtracking) matcher recurses once per character of
// the text, so a long buyer string overflows the stack, and it takes
// exponential time on patterns like (a+)+b. Its "polynomial" mode (a
// libstdc++ extension) walks the automaton breadth first instead: stack
// depth bounded by the pattern, time by text length times pattern size. It
// has no back-references, so patterns with them are refused.
constexpr auto kSyntax = std::regex::ECMAScript | std::regex_constants::__polynomial;

// The regex compiler recurses once per group, so nesting is bounded first.
constexpr std::size_t kMaxGroupNesting = 64;

void check_nesting(const std::string& source) {
  std::size_t depth = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\\') {
      ++i;  // an escaped character is never a group or a class bracket
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      if (++depth > kMaxGroupNesting) {
        throw std::invalid_argument("groups nest more than 64 levels deep");
      }
    } else if (c == ')' && depth > 0) {
      --depth;
    }
  }
}

std::regex compile(const std::string& source) {
  try {
    return std::regex(source, kSyntax);
  } catch (const std::regex_error& error) {
    if (error.code() == std::regex_constants::error_complexity) {
      throw std::invalid_argument("back-references are not supported");
    }
    throw;
  }
}

}  // namespace

Pattern::Pattern(const std::string& source) : source_(source) {
  check_nesting(source);
  // Compiled as written first: the wrapper below could balance a stray
  // parenthesis and so accept a pattern that is not valid on its own.
  compile(source);
  // An unanchored search would restart the matcher at every position
  // (quadratic time); "anything, then the pattern" anchored at the start is
  // one breadth-first pass over the text. A "^" inside still means the start
  // of the text, so the meaning is unchanged.
  regex_ = std::make_shared<const std::regex>(compile("^[\\s\\S]*(?:" + source + ")"));
}

bool Pattern::search(std::string_view text) const {
  return std::regex_search(text.begin(), text.end(), *regex_, std::regex_constants::match_any);
}

}  // namespace gigent::jsonschema
