#pragma once
// `gigent-runtime status --agents-dir DIR` (or several -c): one line per
// agent of a process running many, from each agent's state file only (no
// backend call per agent, so 1,000 agents answer at once).
#include <ostream>

#include "fleet/discover.h"

namespace gigent::cli {

// kExitOk when every agent runs; kExitFailure when some do not (failed,
// stopped, never started); kExitBadConfig when the folder cannot be read.
int fleet_status(const fleet::AgentSources& sources, bool json, std::ostream& out, std::ostream& err);

}  // namespace gigent::cli
