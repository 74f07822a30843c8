#pragma once
// What the operator commands that act for the agent (orders, show, deliver
// --edit, regenerate, doctor) share: its credentials, and backend text made
// safe to print on a terminal.
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "boot/credentials.h"
#include "engine/engine.h"

namespace gigent::cli {

// The agent's credentials next to the config. On failure (none yet, or an
// unusable file) prints why and what to do to `err` and returns nullopt: the
// caller exits with kExitBootFailed.
std::optional<boot::Credentials> credentials_or_report(const engine::RuntimePaths& paths, std::ostream& err);

// `text` as a terminal may show it: valid UTF-8, and every control character
// (escape sequences that move the cursor or retitle the window included)
// shown as \xHH. A buyer writes briefs and names; they must not drive the
// operator's terminal. `multiline` keeps newlines and tabs.
std::string terminal_safe(std::string_view text, bool multiline = false);

// How long ago a backend timestamp ("YYYY-MM-DD HH:MM:SS", UTC) was: "3 min",
// "2 h"; "?" when it cannot be read.
std::string age_of(const std::string& backend_time, std::chrono::system_clock::time_point now);

}  // namespace gigent::cli
