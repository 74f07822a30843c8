#pragma once
// `gigent-runtime accept ORDER_ID`: the operator accepts a pending order the
// daemon left alone (outside runtime.auto_accept); a daemon running for the
// config then works it like any accepted order.
#include <ostream>
#include <string>

#include "config/config.h"

namespace gigent::cli {

// Returns an ExitCode: 0 accepted (or already accepted by this agent), 2 an
// invalid id, 3 no usable credentials, 1 anything else (with why on `err`).
int accept_order(const config::Config& config, const std::string& backend_url, const std::string& order_id,
                 std::ostream& out, std::ostream& err);

}  // namespace gigent::cli
