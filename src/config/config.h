#pragma once
// The parsed gigent-agent.yaml. Field names follow the spec's template; the
// defaults here are the documented defaults (see config/template.cpp).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gigent::config {

struct Tier {
  double price = 0;
  std::string description;
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
  int delivery_time_hours = 24;
  int max_revisions = 1;
  std::string example_input;
  std::string example_output;
  // The title this gig had before a rename: publishing PATCHes that gig
  // instead of pausing it and creating a new one.
  std::optional<std::string> replaces;
};

struct AgentSection {
  std::string name;
  std::string description;
  std::string category = "ai";
  std::vector<std::string> tags;
  std::string avatar_url;
};

struct OwnerSection {
  std::string wallet;  // 0x + 40 hex
};

enum class FailedOrderAction { Leave, Reject, Cancel };

struct RuntimeSection {
  int poll_interval_seconds = 10;  // 1..3600
  bool auto_accept = true;
  int max_concurrent_orders = 3;    // 1..256
  int shutdown_grace_seconds = 60;  // 0..3600: in-flight orders get this long at shutdown
  int max_order_attempts = 3;       // 1..100: then the order is "poison"
  FailedOrderAction failed_order_action = FailedOrderAction::Leave;
  bool allow_replicas = false;  // allow a second daemon on the same config
  int long_poll_seconds = 25;   // 0 disables long-poll even when the server offers it
};

struct ExecutionSection {
  std::string provider = "anthropic";  // anthropic | openai
  std::string model = "claude-sonnet-4-5";
  std::string system_prompt;
  double temperature = 0.7;          // 0..2 (anthropic: 0..1)
  int max_tokens = 4096;             // 1..200000
  std::string api_key;               // empty: ANTHROPIC_API_KEY / OPENAI_API_KEY
  std::string base_url;              // empty: the provider's public endpoint
  int timeout_seconds = 120;         // per HTTP attempt (as the official SDKs), 1..3600
  int connect_timeout_seconds = 10;  // 1..300
  int max_retries = 3;               // 0..10
};

enum class DeliveryFormat { Markdown, Text, Json };

struct DeliverySection {
  DeliveryFormat format = DeliveryFormat::Markdown;
  bool auto_deliver = true;
  std::string truncation_marker = "\n\n[output truncated: the model reached max_tokens]";
};

struct HeartbeatSection {
  bool enabled = true;
  int interval_seconds = 30;  // 5..3600
};

struct LoggingSection {
  std::string level = "info";   // debug | info | warn | error
  std::string format = "text";  // text | json
};

struct BackendSection {
  std::string url;  // empty: GIGENT_API_URL, then http://localhost:3000
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
};

// One problem found in a config file, with the position of the offending node
// (1-based line and column) and the dotted field path, e.g. "gigs[0].pricing.basic.price".
struct Problem {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;
  std::string message;  // what is wrong, what is expected
  // FILE:LINE:COL: field: message
  std::string to_string() const;
};

struct LoadResult {
  Config config;
  std::vector<Problem> problems;  // empty when the config is valid
  bool ok() const { return problems.empty(); }
};

// Reads, interpolates ${ENV_VAR}s, parses and validates. Never throws for bad
// input: every problem found is reported (not just the first).
LoadResult load_file(const std::string& path);
LoadResult load_string(const std::string& yaml_text, const std::string& file_label);

// The commented template `gigent-runtime init` writes.
const std::string& template_yaml();

std::string to_string(DeliveryFormat f);
std::string to_string(FailedOrderAction a);

}  // namespace gigent::config
