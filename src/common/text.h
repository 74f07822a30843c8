#pragma once
// Small text helpers shared by the runtime and the server, one copy each.
#include <string>
#include <string_view>

namespace gigent {

// `text` without leading and trailing spaces, tabs, carriage returns and newlines.
std::string trim(std::string_view text);

// ASCII lowercase; other bytes (UTF-8 included) are left as they are.
std::string lowercase(std::string_view text);

// An owner wallet address as the marketplace accepts it: 0x (or 0X) followed
// by exactly 40 hex digits.
bool is_wallet(std::string_view text);

}  // namespace gigent
