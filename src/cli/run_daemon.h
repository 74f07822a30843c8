#pragma once
// `gigent-runtime run`: the engine, with signals read by one thread.
#include <string>

#include "config/config.h"

namespace gigent::cli {

// SIGTERM or SIGINT asks for a drain, a second one stops at once. Other
// signals anyone can send (SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE) are
// logged or ignored and change nothing. Returns an engine ExitCode.
int run_daemon(const config::Config& config, const std::string& backend_url);

}  // namespace gigent::cli
