#include "jsonschema/numbers.h"

#include <cmath>
#include <cstdint>

namespace gigent::jsonschema {
namespace {

template <typename T>
int three_way(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

bool is_whole(const nlohmann::json& number) {
  if (!number.is_number_float()) return number.is_number();
  const double d = number.get<double>();
  return std::isfinite(d) && d == std::floor(d);
}

int compare_numbers(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number_float() || b.is_number_float()) return three_way(a.get<double>(), b.get<double>());
  // Both integers: a negative int64 is below every uint64, else the unsigned
  // values compare exactly (doubles would round above 2^53).
  const bool a_negative = a.is_number_integer() && a.get<std::int64_t>() < 0;
  const bool b_negative = b.is_number_integer() && b.get<std::int64_t>() < 0;
  if (a_negative || b_negative) {
    if (a_negative && b_negative) return three_way(a.get<std::int64_t>(), b.get<std::int64_t>());
    return a_negative ? -1 : 1;
  }
  return three_way(a.get<std::uint64_t>(), b.get<std::uint64_t>());
}

bool is_multiple_of(const nlohmann::json& value, const nlohmann::json& divisor) {
  if (!value.is_number_float() && !divisor.is_number_float()) {
    // Exact for integers; the divisor is positive (checked when compiled).
    const auto d = divisor.get<std::uint64_t>();
    if (value.is_number_integer() && value.get<std::int64_t>() < 0) {
      // |INT64_MIN| does not fit in int64, so negate in unsigned arithmetic.
      return (0 - static_cast<std::uint64_t>(value.get<std::int64_t>())) % d == 0;
    }
    return value.get<std::uint64_t>() % d == 0;
  }
  const double quotient = value.get<double>() / divisor.get<double>();
  // A quotient too large for a double to hold any fraction is whole; an
  // infinite one (1e308 / 0.123) is not a multiple. The tolerance absorbs
  // binary rounding: 0.0075 / 0.0001 is 74.99999999999999.
  if (!std::isfinite(quotient)) return false;
  return std::fabs(quotient - std::round(quotient)) < 1e-9;
}

}  // namespace gigent::jsonschema
