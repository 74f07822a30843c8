#pragma once
// `gigent-runtime status`: what the backend says about the agent, and what
// the daemon (if any) is doing, from the state file it keeps up to date.
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace gigent::engine {

nlohmann::json collect_status(const config::Config& config, const std::string& backend_url);
std::string render_status(const nlohmann::json& status);

}  // namespace gigent::engine
