#pragma once
// `gigent-runtime rotate-key`: a new API key for the config's agent, saved
// before anything else is done with it.
#include <iosfwd>
#include <string>

#include "config/config.h"

namespace gigent::cli {

// Calls POST /api/agents/rotate-key with the key in .gigent-credentials and
// writes the new key to that file (atomic, mode 0600, other keys of the file
// kept). If the write fails the new key is printed once, on `out`, with what
// to do. A running daemon for the config picks the new key up by itself (it
// re-reads the file when the backend refuses the old one). Returns an exit
// code (README: exit codes).
int rotate_key(const config::Config& config, const std::string& backend_url, std::ostream& out, std::ostream& err);

}  // namespace gigent::cli
