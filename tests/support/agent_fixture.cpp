#include "support/agent_fixture.h"

#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "support/process.h"

namespace gigent::testing {

Buyer register_buyer(const std::string& backend_url, int n) {
  marketplace::MarketplaceClient client({backend_url, ""});
  char wallet[64];
  std::snprintf(wallet, sizeof wallet, "0x%040x", 0xb000 + n);
  auto r = client.register_agent({{"name", "Buyer " + std::to_string(n)}, {"owner_wallet", wallet}});
  if (!r.ok()) throw std::runtime_error("cannot register buyer: " + r.error);
  return {r.body.value("id", ""), r.body.value("api_key", "")};
}

std::string AgentYaml::to_yaml() const {
  std::ostringstream y;
  y << "agent:\n  name: \"" << name << "\"\n  description: \"Writes things\"\n  category: writing\n  tags: [writing]\n";
  y << "owner:\n  wallet: \"" << wallet << "\"\n";
  y << "gigs:\n";
  for (const auto& title : gig_titles) {
    y << "  - title: \"" << title << "\"\n    description: \"Posts on any topic\"\n    category: writing\n"
      << "    tags: [blog]\n    pricing:\n      basic: { price: " << price_basic
      << ", description: \"500 words\" }\n      standard: { price: 15, description: \"1500 words\" }\n"
      << "    delivery_time_hours: 24\n";
  }
  y << "runtime:\n  poll_interval_seconds: " << poll_interval_seconds
    << "\n  max_concurrent_orders: " << max_concurrent_orders << "\n  shutdown_grace_seconds: 30\n"
    << extra_runtime;
  y << "execution:\n  provider: " << provider << "\n  model: \"" << model << "\"\n  base_url: \"" << base_url
    << "\"\n  api_key: \"" << api_key << "\"\n  system_prompt: \"You write well.\"\n  max_tokens: 500\n"
    << "  timeout_seconds: 20\n";
  y << "delivery:\n  format: " << delivery_format << "\n  auto_deliver: " << (auto_deliver ? "true" : "false") << "\n";
  y << "heartbeat:\n  enabled: true\n  interval_seconds: " << heartbeat_interval_seconds << "\n";
  y << "logging:\n  level: debug\n";
  return y.str();
}

std::string gig_id_of(const std::string& backend_url, const std::string& agent_id, const std::string& title) {
  marketplace::MarketplaceClient client({backend_url, ""});
  auto r = client.list_gigs(agent_id, {100, 0});
  if (!r.ok()) throw std::runtime_error("cannot list gigs: " + r.error);
  for (auto& g : r.body["gigs"])
    if (g.value("title", "") == title) return g.value("id", "");
  throw std::runtime_error("no gig titled " + title);
}

namespace {

// The buyer's key of every order placed through place_order: an order is
// readable only with a party's key, and wait_for_order_status reads as the buyer.
std::mutex order_keys_mutex;
std::map<std::string, std::string> order_keys;

std::string buyer_key_of(const std::string& order_id) {
  std::lock_guard lock(order_keys_mutex);
  auto it = order_keys.find(order_id);
  return it == order_keys.end() ? std::string() : it->second;
}

}  // namespace

nlohmann::json place_order(const std::string& backend_url, const Buyer& buyer, const std::string& gig_id,
                           const std::string& brief, const nlohmann::json& input_data) {
  marketplace::MarketplaceClient client({backend_url, buyer.api_key});
  nlohmann::json body = {{"gig_id", gig_id}, {"buyer_id", buyer.id}, {"brief", brief}, {"pay_now", false}};
  if (!input_data.is_null()) body["input_data"] = input_data;
  auto r = client.place_order(body);
  if (!r.ok()) throw std::runtime_error("cannot place order: " + r.error);
  std::lock_guard lock(order_keys_mutex);
  order_keys[r.body.value("id", "")] = buyer.api_key;
  return r.body;
}

nlohmann::json wait_for_order_status(const std::string& backend_url, const std::string& order_id,
                                     const std::string& wanted, std::chrono::milliseconds timeout) {
  marketplace::MarketplaceClient client({backend_url, buyer_key_of(order_id)});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = client.get_order(order_id);
    if (r.ok()) {
      last = r.body;
      if (last.value("status", "") == wanted) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return last;
}

std::string read_agent_id(const std::string& credentials_path) {
  return nlohmann::json::parse(slurp(credentials_path)).value("agent_id", "");
}

CliRun run_runtime_cli(const std::vector<std::string>& args, const std::string& log_dir) {
  SpawnOptions options;
  options.args = args;
  options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY"};
  ChildProcess child(build_path("gigent-runtime"), options, log_dir);
  CliRun run;
  run.exit_code = child.wait_exit(std::chrono::seconds(30)).value_or(-1);
  run.stdout_text = child.stdout_text();
  run.stderr_text = child.stderr_text();
  return run;
}

std::unique_ptr<ChildProcess> spawn_runtime(const std::string& config_path, const std::string& backend_url,
                                            const std::string& log_dir, bool wait_ready,
                                            const std::vector<std::string>& extra_args) {
  SpawnOptions options;
  options.args = {"run", "-c", config_path, "-u", backend_url};
  options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
  options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GIGENT_API_URL"};
  auto child = std::make_unique<ChildProcess>(build_path("gigent-runtime"), options, log_dir);
  if (wait_ready) {
    auto ready = child->wait_for_output("Agent is online and ready", std::chrono::seconds(30));
    EXPECT_TRUE(ready) << child->output();
  }
  return child;
}

}  // namespace gigent::testing
