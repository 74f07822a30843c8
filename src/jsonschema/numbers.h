#pragma once
// Number comparisons across nlohmann's three number kinds (int64, uint64,
// double): integers are compared exactly, anything with a double as doubles.
#include <nlohmann/json.hpp>

namespace gigent::jsonschema {

// Whether a number has no fractional part (1 and 1.0 both do).
bool is_whole(const nlohmann::json& number);

// -1, 0 or 1 as a is less than, equal to or greater than b.
int compare_numbers(const nlohmann::json& a, const nlohmann::json& b);

// Whether `value` is an integer multiple of `divisor` (> 0).
bool is_multiple_of(const nlohmann::json& value, const nlohmann::json& divisor);

}  // namespace gigent::jsonschema
