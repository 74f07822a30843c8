#pragma once
// `gigent-runtime doctor`: everything an agent needs to work, checked one by
// one and printed as one line each (ok, warn or FAIL) with what to do.
#include <ostream>
#include <string>

namespace gigent::cli {

// Returns kExitOk when nothing failed (warnings allowed), kExitBadConfig when
// the config cannot be loaded (nothing else can then be checked), and
// kExitFailure when any other check failed.
int run_doctor(const std::string& config_path, const std::string& cli_url, std::ostream& out);

}  // namespace gigent::cli
