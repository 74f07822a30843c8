// libFuzzer target: arbitrary bytes as gigent-agent.yaml. The contract under
// test: load_string never throws, never crashes or hangs, and what it returns
// is consistent -- every problem and warning has a 1-based position and a
// message, a config reported valid really has the required fields, and
// --strict passes only a file without warnings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const gigent::config::LoadResult result = gigent::config::load_string(text, "fuzz.yaml");
  for (const auto* list : {&result.problems, &result.warnings}) {
    for (const gigent::config::Problem& problem : *list) {
      if (problem.line < 1 || problem.column < 1 || problem.message.empty()) std::abort();
      if (problem.to_string().empty()) std::abort();
    }
  }
  const bool strict_ok = gigent::config::load_string(text, "fuzz.yaml", {.strict = true}).ok();
  if (strict_ok != (result.ok() && result.warnings.empty())) std::abort();
  if (result.ok()) {
    const gigent::config::Config& config = result.config;
    if (config.agent.name.empty() || config.owner.wallet.size() != 42 || config.gigs.empty()) {
      std::abort();
    }
    for (const gigent::config::Gig& gig : config.gigs) {
      if (gig.title.empty() || gig.category.empty() || !(gig.basic.price > 0) || gig.basic.description.empty() ||
          gig.delivery_time_hours < 1 || gig.delivery_time_hours > 8760) {
        std::abort();
      }
    }
  }
  return 0;
}
