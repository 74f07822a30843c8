#pragma once
// `gigent-runtime orders` and `gigent-runtime show`: the agent's work as the
// backend sees it, read with the agent's own key, so the operator needs no
// curl and never handles the key.
#include <ostream>
#include <string>

#include "config/config.h"

namespace gigent::cli {

// The agent's orders as seller, newest first: id, gig, tier, buyer, state,
// age (or a JSON array). `state` filters by one order status ("" for all).
// Returns an ExitCode: kExitBadConfig for an unknown state, kExitBootFailed
// without credentials, kExitBackendUnreachable when the backend could not
// be asked or answered an error.
int list_orders(const config::Config& config, const std::string& backend_url, const std::string& state, bool json,
                std::ostream& out, std::ostream& err);

// One order: its fields, brief, input, messages and delivered result, and
// the result kept in the journal when one awaits review. Same exit codes.
int show_order(const config::Config& config, const std::string& backend_url, const std::string& order_id,
               std::ostream& out, std::ostream& err);

}  // namespace gigent::cli
