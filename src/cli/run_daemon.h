#pragma once
// `gigent-runtime run`: the engine (one agent) or the fleet (many), with
// signals read by one thread.
#include <string>

#include "config/config.h"
#include "fleet/fleet.h"

namespace gigent::cli {

// SIGTERM or SIGINT asks for a drain, a second one stops at once. Other
// signals anyone can send (SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE) are
// logged or ignored and change nothing. Returns an engine ExitCode.
int run_daemon(const config::Config& config, const std::string& backend_url);

// Many agents in one process (fleet/fleet.h), with the same signals; SIGHUP
// re-reads the set of configs.
int run_fleet(fleet::FleetOptions options);

}  // namespace gigent::cli
