#pragma once
// `gigent-runtime try`: one order through exactly what the daemon does with
// it (the prompt, the LLM call, the output checks and formatting, the
// per-order token cap), without a marketplace or credentials, so a seller can
// test a gig before going live.
#include <ostream>
#include <string>

#include "config/config.h"

namespace gigent::cli {

struct TryOptions {
  std::string gig;  // a gig's title; empty: the first gig
  std::string tier = "basic";
  std::string brief;
  std::string input;  // JSON text; empty: no input data
  bool json = false;
};

// Prints the delivery, the provider and model that answered, the tokens and
// (with prices configured) the cost. Returns an ExitCode: 2 for an unknown
// gig or tier, input that is not JSON, or no LLM key; 1 when the order is
// refused or the LLM call fails.
int try_order(const config::Config& config, const TryOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gigent::cli
