#pragma once
// The parsed gigent-agent.yaml. Field names follow the spec's template; the
// defaults here are the documented defaults (see config/template.cpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gigent::config {

struct Tier {
  double price = 0;
  std::string description;
  // Days until due, as the TypeScript runtime's config spells it per tier
  // (defaults 1, 2 and 3 for basic, standard and premium). The marketplace
  // keeps one delivery time per gig: basic's, as Gig::delivery_time_hours.
  double delivery_days = 1;
  // Added to the system prompt for orders of this tier (e.g. premium: "3,000
  // words, with an outline and sources"). Not published: it is how the work
  // is done, not what the buyer reads.
  std::string instructions;
};

// `gigs[].execution`: settings merged over the top-level `execution` for this
// gig's orders. Unset fields keep the top-level value.
struct ExecutionOverride {
  std::optional<std::string> model;
  std::optional<std::string> system_prompt;
  std::optional<int> max_tokens;
  std::optional<double> temperature;
  bool empty() const { return !model && !system_prompt && !max_tokens && !temperature; }
};

struct Gig {
  std::string title;
  std::string description;
  std::string category;  // one of the 8 seeded category slugs, e.g. "writing"
  std::string subcategory;
  std::vector<std::string> tags;
  Tier basic;                    // required
  std::optional<Tier> standard;  // optional
  std::optional<Tier> premium;   // optional
  // The delivery time published for the gig: `delivery_time_hours` when set,
  // else pricing.basic.delivery_days * 24 (rounded up), else 24.
  int delivery_time_hours = 24;
  int max_revisions = 1;
  std::string example_input;
  std::string example_output;
  // The title this gig had before a rename, so publishing renames that gig
  // instead of pausing it and creating a new one.
  std::optional<std::string> replaces;
  ExecutionOverride execution;
  // JSON Schemas (draft-07), checked at load. `input_schema` is published as
  // the gig's api_schema and checked against each order's input_data before
  // the LLM is asked; `output_schema` checks the reply when delivery.format
  // is json. Null when not set.
  nlohmann::json input_schema;
  nlohmann::json output_schema;

  // The tier named by an order ("basic", "standard", "premium"); basic when
  // the name is unknown or the gig lacks that tier.
  const Tier& tier(const std::string& name) const;
};

struct AgentSection {
  std::string name;
  std::string description;
  std::string category = "ai";  // one of the 8 gig categories, or any other with a warning
  std::vector<std::string> tags;
  std::string avatar_url;
};

struct OwnerSection {
  std::string wallet;  // 0x + 40 hex
};

enum class FailedOrderAction { Leave, Reject, Cancel };

// `runtime.auto_accept` written as a mapping: a new order is accepted only when
// it passes every condition given; any other stays pending for the operator
// (`gigent-runtime accept ORDER_ID`).
struct AcceptRule {
  std::optional<double> max_price;      // the order's price in USD, at most this
  std::vector<std::string> tiers;       // basic | standard | premium; empty: any
  std::vector<std::string> categories;  // the gig's category; empty: any
};

struct RuntimeSection {
  int poll_interval_seconds = 10;  // 1..3600 (a fraction loads rounded up, with a warning)
  bool auto_accept = true;
  // Set when auto_accept is a mapping (auto_accept is then true): only orders
  // the rule admits are accepted.
  std::optional<AcceptRule> accept_rule;
  int max_concurrent_orders = 3;    // 1..256
  int shutdown_grace_seconds = 60;  // 0..3600: in-flight orders get this long at shutdown
  int max_order_attempts = 3;       // 1..100: then the order is "poison"
  FailedOrderAction failed_order_action = FailedOrderAction::Leave;
  bool allow_replicas = false;  // allow a second daemon on the same config
  int long_poll_seconds = 25;   // 0 disables long-poll even when the server offers it
};

// `execution.budget`: what the daemon may spend. 0 means no limit (and, for
// the prices, no cost known).
struct BudgetSection {
  int max_tokens_per_order = 0;  // caps max_tokens and the sum of an order's LLM calls
  int max_tokens_per_day = 0;    // input + output tokens per UTC day; gates accepting new orders
  double max_cost_per_day_usd = 0;
  double price_per_million_input_tokens = 0;
  double price_per_million_output_tokens = 0;
  bool has_prices() const { return price_per_million_input_tokens > 0 || price_per_million_output_tokens > 0; }
};

// One entry of execution.fallback: another provider tried, in order, when
// the ones before it keep failing. Everything else (temperature, max_tokens,
// timeouts, retries, stream) is the primary's.
struct FallbackProvider {
  std::string provider;  // anthropic | openai (required)
  std::string model;     // required
  std::string api_key;   // empty: ANTHROPIC_API_KEY / OPENAI_API_KEY
  std::string base_url;  // empty: the provider's public endpoint
};

struct ExecutionSection {
  std::string provider = "anthropic";  // anthropic | openai
  std::string model = "claude-sonnet-4-5";
  std::string system_prompt;
  double temperature = 0.7;  // 0..2 (anthropic: 0..1)
  int max_tokens = 4096;     // 1..200000
  // Orders whose prompt is estimated (bytes/4) above this are not run. 0: by
  // provider, the model's context less max_tokens (anthropic 200000, openai 128000).
  int max_input_tokens = 0;          // 0 or 1..10000000
  std::string api_key;               // empty: ANTHROPIC_API_KEY / OPENAI_API_KEY
  std::string base_url;              // empty: the provider's public endpoint
  int timeout_seconds = 120;         // per HTTP attempt (as the official SDKs), 1..3600
  int connect_timeout_seconds = 10;  // 1..300
  int max_retries = 3;               // 0..10
  // auto | true | false: stream answers as server-sent events; auto streams
  // when max_tokens is above 21,333 (executor/stream.h).
  std::string stream = "auto";
  std::vector<FallbackProvider> fallback;  // at most 5, tried in order
  BudgetSection budget;
};

enum class DeliveryFormat { Markdown, Text, Json };

struct DeliverySection {
  DeliveryFormat format = DeliveryFormat::Markdown;
  bool auto_deliver = true;
  std::string truncation_marker = "\n\n[output truncated: the model reached max_tokens]";
};

struct HeartbeatSection {
  bool enabled = true;
  int interval_seconds = 30;  // 5..3600 advised; 1..4 load with a warning
};

struct LoggingSection {
  std::string level = "info";   // debug | info | warn | error
  std::string format = "text";  // text | json
};

struct BackendSection {
  std::string url;  // empty: GIGENT_API_URL, then http://localhost:3000
};

// GET /healthz, /metrics and /status on this address ("HOST:PORT"); empty: off.
struct ObservabilitySection {
  std::string listen;
};

struct Config {
  std::string path;  // the file it was loaded from (absolute)
  AgentSection agent;
  OwnerSection owner;
  std::vector<Gig> gigs;
  RuntimeSection runtime;
  ExecutionSection execution;
  DeliverySection delivery;
  HeartbeatSection heartbeat;
  LoggingSection logging;
  BackendSection backend;
  ObservabilitySection observability;
};

enum class Severity {
  Error,    // the config cannot be used
  Warning,  // it loads, but something is unwise or ignored
};

// One problem found in a config file, with the position of the offending node
// (1-based line and column) and the dotted field path, e.g. "gigs[0].pricing.basic.price".
struct Problem {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;
  std::string message;  // what is wrong, what is expected
  Severity severity = Severity::Error;
  // Errors: FILE:LINE:COL: field: message
  // Warnings: FILE:LINE:COL: warning: field: message (as compilers mark them)
  std::string to_string() const;
};

struct LoadResult {
  Config config;
  std::vector<Problem> problems;  // errors; empty when the config is valid
  std::vector<Problem> warnings;  // the config loads, but these deserve a look
  bool ok() const { return problems.empty(); }
};

struct LoadOptions {
  // Warnings count as errors (`gigent-runtime validate --strict`).
  bool strict = false;
  // The LLM key `run` needs must be available, from execution.api_key or the
  // provider's environment variable (`gigent-runtime validate`).
  bool require_llm_key = false;
};

// Reads, interpolates ${ENV_VAR}s, parses and validates. Never throws for bad
// input: every problem found is reported (not just the first).
LoadResult load_file(const std::string& path, const LoadOptions& options = {});
LoadResult load_string(const std::string& yaml_text, const std::string& file_label, const LoadOptions& options = {});

// The example owner wallet of the template `init` writes: it loads, with a
// warning to replace it.
inline constexpr std::string_view kTemplateWallet = "0x0000000000000000000000000000000000000001";

// The commented template `gigent-runtime init` writes.
const std::string& template_yaml();

// The execution settings for one gig's orders: `gigs[].execution` merged
// over the top-level `execution`.
ExecutionSection execution_for(const ExecutionSection& top, const Gig& gig);

// The config's gig an order is for, matched by the order's gig title (case
// and surrounding blanks ignored); nullptr when none matches.
const Gig* find_gig(const Config& config, const std::string& gig_title);

std::string to_string(DeliveryFormat f);
std::string to_string(FailedOrderAction a);

}  // namespace gigent::config
