#pragma once
// Helpers for tests that run the whole product: a buyer on the real server,
// an agent config file, and waits on order states.
#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "marketplace/client.h"
#include "support/process.h"

namespace gigent::testing {

struct Buyer {
  std::string id;
  std::string api_key;
};

// Registers a buyer agent; `n` makes its wallet unique.
Buyer register_buyer(const std::string& backend_url, int n = 1);

struct AgentYaml {
  std::string name = "Test Writer";
  std::string wallet = "0x00000000000000000000000000000000000000a1";
  std::string provider = "anthropic";
  std::string model = "claude-test";
  std::string base_url;  // the emulator
  std::string api_key = "sk-ant-test-LLMSECRET-0123456789abcdef";
  int max_concurrent_orders = 3;
  int poll_interval_seconds = 1;
  int heartbeat_interval_seconds = 5;
  std::string delivery_format = "markdown";
  bool auto_deliver = true;
  std::string extra_runtime;  // more "  key: value" lines under runtime:
  double price_basic = 5;
  std::vector<std::string> gig_titles = {"Blog post writer"};
  std::string to_yaml() const;
};

// The id of the first active gig of `agent_id` whose title matches.
std::string gig_id_of(const std::string& backend_url, const std::string& agent_id, const std::string& title);

// Places an order as `buyer`; returns the order row.
nlohmann::json place_order(const std::string& backend_url, const Buyer& buyer, const std::string& gig_id,
                           const std::string& brief, const nlohmann::json& input_data = nullptr);

// Polls GET /api/orders/:id until status == wanted or timeout; returns the last row.
// Reads with the key of the buyer, when the order was placed by place_order.
nlohmann::json wait_for_order_status(const std::string& backend_url, const std::string& order_id,
                                     const std::string& wanted, std::chrono::milliseconds timeout);

std::string read_agent_id(const std::string& credentials_path);

// A short `gigent-runtime` command (init, validate, status, deliver) run to
// its end, without the LLM keys of the test's own environment; its exit code
// and both outputs.
struct CliRun {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
  std::string output() const { return stdout_text + stderr_text; }
};
CliRun run_runtime_cli(const std::vector<std::string>& args, const std::string& log_dir);

// `gigent-runtime run -c CONFIG -u URL` as a child process, without the LLM
// keys of the test's own environment; when `wait_ready`, waits (and expects)
// "Agent is online and ready".
std::unique_ptr<ChildProcess> spawn_runtime(const std::string& config_path, const std::string& backend_url,
                                            const std::string& log_dir, bool wait_ready,
                                            const std::vector<std::string>& extra_args = {});

}  // namespace gigent::testing
