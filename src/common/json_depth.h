#pragma once
// How deeply JSON text nests, found without parsing it: a parser builds every
// level in memory (and recursive code walks them on the stack), so untrusted
// text (order input, provider answers, request bodies) is measured first.
#include <cstddef>
#include <string_view>

namespace gigent {

// The deepest nesting of arrays and objects in `text`: 0 for a scalar, 1 for
// [1], 2 for [[1]]. Brackets inside strings do not count. Linear time,
// constant memory; text that is not JSON gets a number too, never an error.
std::size_t json_nesting_depth(std::string_view text);

}  // namespace gigent
