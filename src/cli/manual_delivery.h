#pragma once
// `gigent-runtime deliver`: with auto_deliver off, results wait in the journal
// for the operator, who reviews one (--show) and sends it.
#include <string>

#include "config/config.h"

namespace gigent::cli {

// Prints the kept result (show_only) or delivers it and marks it delivered.
// Returns an ExitCode; messages go to stdout/stderr.
int deliver_kept_result(const config::Config& config, const std::string& backend_url, const std::string& order_id,
                        bool show_only);

}  // namespace gigent::cli
