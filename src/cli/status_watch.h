#pragma once
// `gigent-runtime status --watch`: the status report again every interval
// until SIGINT or SIGTERM, redrawn in place on a terminal and appended
// (separated by a line) when the output is a pipe or a file.
#include <chrono>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace gigent::cli {

struct WatchOptions {
  std::chrono::seconds interval{2};
  bool json = false;      // one JSON document per line instead of the report
  bool terminal = false;  // redraw in place (clear and home) instead of appending
  int max_rounds = 0;     // stop after this many reports; 0: until a signal
};

// Returns kExitOk when stopped by SIGINT/SIGTERM (or after max_rounds).
int watch_status(const config::Config& config, const std::string& backend_url, const WatchOptions& options,
                 std::ostream& out);

// The lines the watch adds under the report: the budget when the daemon
// reports one, and the latest deliveries from the journal (newest first).
std::string render_watch_extras(const nlohmann::json& status, const nlohmann::json& recent_deliveries);

}  // namespace gigent::cli
