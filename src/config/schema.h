#pragma once
// The parts of the gigent-agent.yaml schema shared between loader.cpp (the
// load pipeline and most sections) and gigs.cpp. Internal to config/.
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/reader.h"

namespace gigent::config {

// The categories buyers browse by: the marketplace's 8 seeded category slugs.
extern const std::vector<std::string_view> kCategories;

// The `gigs` list: every gig with its tiers, delivery time, renames, own
// execution settings (temperature checked for `provider`) and schemas.
void read_gigs(Reader& in, const Section& root, const std::string& provider, std::vector<Gig>& out);

// execution.stream and the execution.fallback list (fallback.cpp). With
// `require_llm_key`, each fallback must have a key as the primary must.
void read_stream_and_fallback(Reader& in, const Section& execution, bool require_llm_key, const EnvLookup& env,
                              ExecutionSection& out);

// `runtime.auto_accept`: a boolean, or a mapping (an AcceptRule) that sets
// out.accept_rule (spend_limits.cpp).
void read_auto_accept(Reader& in, const Section& runtime, RuntimeSection& out);

// `execution.budget` (spend_limits.cpp).
void read_budget(Reader& in, const Section& execution, BudgetSection& out);

}  // namespace gigent::config
