#pragma once
// The smallest valid gigent-agent.yaml, exactly 10 lines: config tests append
// to it (or replace its last line), so the problems they cause sit at line 11
// and below, at positions a test can state.
#include <string>

namespace gigent::testing {

inline const std::string kValidTenLineConfig =
    "agent:\n"                                                    // 1
    "  name: Bot\n"                                               // 2
    "owner:\n"                                                    // 3
    "  wallet: \"0x00000000000000000000000000000000000000aa\"\n"  // 4
    "gigs:\n"                                                     // 5
    "  - title: Blog\n"                                           // 6
    "    description: Writes posts\n"                             // 7
    "    category: writing\n"                                     // 8
    "    pricing:\n"                                              // 9
    "      basic: { price: 5, description: \"500 words\" }\n";    // 10

}  // namespace gigent::testing
