#pragma once
// `gigent-runtime status`: what the backend says about the agent, and what
// the daemon (if any) is doing, from the state file it keeps up to date.
// Every value it cannot learn is shown as unknown together with the reason.
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "engine/engine.h"

namespace gigent::cli {

// The daemon's state file, with "running": whether a live process holds the
// config's lock and has not stopped. {"running": false} without a file.
nlohmann::json read_daemon_state(const engine::RuntimePaths& paths);

nlohmann::json collect_status(const config::Config& config, const std::string& backend_url);
std::string render_status(const nlohmann::json& status);
// kExitOk when everything was learned; kExitBootFailed for unreadable
// credentials; kExitBackendUnreachable when the backend could not be asked
// (or answered an error) for any part of the report.
int status_exit_code(const nlohmann::json& status);

}  // namespace gigent::cli
