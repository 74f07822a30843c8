#pragma once
// Reviewing a result kept because auto_deliver is off: change it in an editor
// before it is sent (`deliver --edit`), or have the daemon produce a new one
// (`regenerate`, optionally with a note added to the prompt).
#include <ostream>
#include <string>

#include "config/config.h"

namespace gigent::cli {

// Writes the kept result to a temporary file (mode 0600), runs $EDITOR (else
// $VISUAL, else vi) on it, and delivers the edited text when it changed and
// is not empty; otherwise says that nothing was delivered. Returns an ExitCode.
int edit_and_deliver(const config::Config& config, const std::string& backend_url, const std::string& order_id,
                     std::ostream& out, std::ostream& err);

// Marks a kept result for regeneration: the running daemon calls the model
// again for the order at its next reconcile (the journal is how the two
// processes talk), with `note` added to the prompt. Returns an ExitCode.
int request_regeneration(const config::Config& config, const std::string& order_id, const std::string& note,
                         std::ostream& out, std::ostream& err);

}  // namespace gigent::cli
