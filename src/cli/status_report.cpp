#include "cli/status_report.h"

#include <csignal>
#include <optional>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>

#include <filesystem>

#include "boot/credentials.h"
#include "common/file_clock.h"
#include "common/fs.h"
#include "engine/acceptance.h"
#include "engine/budget.h"
#include "engine/engine.h"
#include "engine/lock_file.h"
#include "listener/poller.h"
#include "marketplace/client.h"
#include "marketplace/order_status.h"

namespace gigent::cli {

namespace {

using marketplace::string_field;

// A field of a JSON object the runtime wrote or the backend sent, read
// without throwing on a wrong type.
template <typename T>
T field(const nlohmann::json& obj, const char* key, T fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    if (it->is_boolean()) return it->get<bool>();
    if (it->is_number_integer()) return it->get<long long>() != 0;  // SQLite 0/1
    return fallback;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return it->is_number() ? it->get<T>() : fallback;
  } else {
    return it->is_string() ? it->get<std::string>() : fallback;
  }
}

const nlohmann::json& member(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

// Pending orders the daemon leaves for the operator (runtime.auto_accept), with why.
nlohmann::json held_for_operator(const config::Config& config, const std::vector<nlohmann::json>& pending) {
  nlohmann::json held = nlohmann::json::array();
  for (const auto& order : pending) {
    const auto why = engine::left_for_operator(config, order);
    if (!why) continue;
    const auto price = engine::order_price(order);
    held.push_back({{"order_id", string_field(order, "id")},
                    {"gig_title", string_field(order, "gig_title")},
                    {"tier", string_field(order, "tier", "basic")},
                    {"price", price ? nlohmann::json(*price) : nlohmann::json(nullptr)},
                    {"why", *why}});
  }
  return held;
}

// Every order status, counted over every page; an unknown count carries why.
void count_orders(const config::Config& config, marketplace::MarketplaceClient& client, const std::string& agent_id,
                  nlohmann::json& backend) {
  listener::Poller poller(client, agent_id);
  nlohmann::json orders = nlohmann::json::object(), errors = nlohmann::json::object();
  for (auto st : marketplace::kOrderStatuses) {
    std::string name(st);
    auto found = poller.fetch(name);
    orders[name] = found.ok ? nlohmann::json(found.orders.size() + found.unreadable.size()) : nlohmann::json(nullptr);
    if (!found.ok) errors[name] = found.error;
    if (found.ok && name == "pending") backend["held_for_operator"] = held_for_operator(config, found.orders);
  }
  backend["orders"] = orders;
  if (!errors.empty()) backend["order_errors"] = errors;
}

void ask_backend(const config::Config& config, const boot::Credentials& creds, const std::string& backend_url,
                 nlohmann::json& out) {
  marketplace::MarketplaceClient client({backend_url, creds.api_key, std::chrono::seconds(5)});
  auto agent = client.get_agent(creds.agent_id);
  if (!agent.ok()) {
    out["backend"] = {{"reachable", agent.status != 0}, {"error", agent.error}};
    return;
  }
  const auto& last_seen = member(agent.body, "last_seen");
  nlohmann::json backend = {{"reachable", true},
                            {"is_online", field(agent.body, "is_online", false)},
                            {"last_seen", last_seen.is_string() ? last_seen : nlohmann::json(nullptr)},
                            {"name", string_field(agent.body, "name")}};
  nlohmann::json gigs = nlohmann::json::array();
  const auto& listed = member(agent.body, "gigs");
  if (listed.is_array())
    for (const auto& g : listed)
      gigs.push_back({{"id", string_field(g, "id")},
                      {"title", string_field(g, "title")},
                      {"price_basic", member(g, "price_basic")}});
  backend["gigs"] = gigs;
  count_orders(config, client, creds.agent_id, backend);
  out["backend"] = backend;

  // Kept results are shown with their gig's title, which only the backend knows.
  auto& daemon = out["daemon"];
  if (!daemon.contains("awaiting_delivery") || !daemon["awaiting_delivery"].is_array()) return;
  for (auto& item : daemon["awaiting_delivery"]) {
    auto order = client.get_order(string_field(item, "order_id"));
    if (order.ok())
      item["title"] = string_field(order.body, "gig_title", "(the order has no gig title)");
    else
      item["title_error"] = order.error;
  }
}

// Today's spend: the running daemon's own report, else the journal read
// without writing to it (see Journal::read_usage_on_day); nothing when
// there is no journal yet.
void read_budget(const config::Config& config, const engine::RuntimePaths& paths, nlohmann::json& out) {
  const auto& daemon = member(out, "daemon");
  if (field(daemon, "running", false) && member(daemon, "budget").is_object()) {
    out["budget"] = member(daemon, "budget");
    return;
  }
  std::error_code missing;
  if (!std::filesystem::exists(paths.journal, missing)) return;
  try {
    const std::string day = engine::utc_day(daemon_wall_clock().wall());
    out["budget"] =
        engine::budget_report(config.execution.budget, day, engine::Journal::read_usage_on_day(paths.journal, day));
  } catch (const std::exception& e) {
    out["budget_error"] = e.what();
  }
}

}  // namespace

nlohmann::json read_daemon_state(const engine::RuntimePaths& paths) {
  nlohmann::json daemon = {{"running", false}};
  try {
    auto state = nlohmann::json::parse(read_file(paths.state));
    if (!state.is_object()) return daemon;
    int pid = field(state, "pid", 0);
    bool alive = pid > 0 && ::kill(pid, 0) == 0 && engine::lock_is_held(paths.lock) &&
                 field(state, "phase", std::string()) != "stopped";
    daemon = state;
    daemon["running"] = alive;
  } catch (const std::exception&) {
    // No state file: the daemon never ran here.
  }
  return daemon;
}

nlohmann::json collect_status(const config::Config& config, const std::string& backend_url) {
  auto paths = engine::RuntimePaths::for_config(config.path);
  nlohmann::json out = {{"config", config.path}, {"backend_url", backend_url}, {"agent_name", config.agent.name}};
  out["daemon"] = read_daemon_state(paths);
  read_budget(config, paths, out);
  std::optional<boot::Credentials> creds;
  try {
    creds = boot::load_credentials(paths.credentials);
  } catch (const std::exception& e) {
    out["credentials_error"] = e.what();
  }
  out["registered"] = creds.has_value();
  if (creds) {
    out["agent_id"] = creds->agent_id;
    ask_backend(config, *creds, backend_url, out);
  }
  return out;
}

int status_exit_code(const nlohmann::json& s) {
  if (s.contains("credentials_error")) return engine::kExitBootFailed;
  if (!field(s, "registered", false)) return engine::kExitOk;  // nothing to ask the backend about yet
  const auto& b = member(s, "backend");
  if (!field(b, "reachable", false) || b.contains("error") || b.contains("order_errors"))
    return engine::kExitBackendUnreachable;
  return engine::kExitOk;
}

namespace {

void render_backend(std::ostringstream& o, const nlohmann::json& b) {
  if (!field(b, "reachable", false)) {
    o << "Backend   unreachable: " << field(b, "error", std::string("no answer")) << "\n";
    return;
  }
  if (b.contains("error")) {
    o << "Backend   answered with an error: " << field(b, "error", std::string()) << "\n";
    return;
  }
  const auto& last_seen = member(b, "last_seen");
  o << "Online    " << (field(b, "is_online", false) ? "yes" : "no") << " (last heartbeat "
    << (last_seen.is_string() ? last_seen.get<std::string>() + " UTC" : std::string("never")) << ")\n";
  o << "Gigs      " << member(b, "gigs").size() << " active\n";
  for (const auto& g : member(b, "gigs")) o << "  - " << string_field(g, "title") << "\n";
  o << "Orders    ";
  const auto& counts = member(b, "orders");
  bool first = true;
  for (auto st : marketplace::kOrderStatuses) {
    std::string name(st);
    const auto& n = member(counts, name.c_str());
    o << (first ? "" : ", ") << name << " " << (n.is_number() ? n.dump() : std::string("?"));
    first = false;
  }
  o << "\n";
  for (const auto& [name, error] : member(b, "order_errors").items())
    o << "          ? " << name << ": cannot list: " << (error.is_string() ? error.get<std::string>() : error.dump())
      << "\n";
}

void render_daemon(std::ostringstream& o, const nlohmann::json& d) {
  if (!field(d, "running", false)) {
    o << "Daemon    not running";
    if (d.contains("updated_at")) o << " (last seen " << field(d, "updated_at", std::string()) << ")";
    o << "\n";
    return;
  }
  o << "Daemon    running (pid " << field(d, "pid", 0) << ", " << field(d, "phase", std::string()) << ", since "
    << field(d, "started_at", std::string()) << ")\n";
  o << "In flight " << member(d, "in_flight").size() << " of " << field(d, "max_concurrent_orders", 0) << "\n";
  const auto& c = member(d, "counters");
  if (c.is_object())
    o << "This run  " << field(c, "delivered", 0LL) << " delivered, " << field(c, "llm_calls", 0LL) << " LLM calls, "
      << field(c, "input_tokens", 0LL) << " in / " << field(c, "output_tokens", 0LL) << " out tokens\n";
  if (c.is_object() && (field(c, "revisions_delivered", 0LL) > 0 || field(c, "late_orders", 0LL) > 0 ||
                        field(c, "inputs_rejected", 0LL) > 0 || field(c, "replies_corrected", 0LL) > 0))
    o << "Orders    " << field(c, "revisions_delivered", 0LL) << " revisions delivered, "
      << field(c, "late_orders", 0LL) << " started late, " << field(c, "inputs_rejected", 0LL)
      << " inputs refused by input_schema, " << field(c, "replies_corrected", 0LL)
      << " replies corrected to output_schema\n";
  const auto& loops = member(d, "loops");
  for (const auto& [name, loop] : loops.items()) {
    o << "  " << name << ": " << field(loop, "state", std::string());
    if (member(loop, "last_success").is_string()) o << "; last success " << field(loop, "last_success", std::string());
    if (!field(loop, "last_error", std::string()).empty())
      o << "; last error: " << field(loop, "last_error", std::string());
    o << "\n";
    for (const auto& problem : member(loop, "problems"))
      if (problem.is_string()) o << "    skipped: " << problem.get<std::string>() << "\n";
  }
  if (d.contains("journal_error"))
    o << "Journal   cannot be read: " << field(d, "journal_error", std::string()) << "\n";
}

void render_kept_orders(std::ostringstream& o, const nlohmann::json& d) {
  struct Section {
    const char* key;
    const char* heading;
  };
  for (auto [key, heading] : {Section{"awaiting_delivery",
                                      "Awaiting delivery (auto_deliver off; send with "
                                      "`gigent-runtime deliver ID`):"},
                              Section{"failed_orders", "Failed orders (given up):"},
                              Section{"retrying_orders", "Orders waiting for a retry:"}}) {
    const auto& list = member(d, key);
    if (!list.is_array() || list.empty()) continue;
    o << heading << "\n";
    for (const auto& item : list) {
      o << "  - " << string_field(item, "order_id");
      if (item.contains("title"))
        o << "  \"" << string_field(item, "title") << "\"";
      else if (item.contains("title_error"))
        o << "  (title unknown: " << string_field(item, "title_error") << ")";
      else if (std::string(key) == "awaiting_delivery")
        o << "  (title unknown: the backend could not be asked)";
      if (field(item, "round", 0) > 0) o << "  revision " << field(item, "round", 0);
      if (field(item, "attempts", 0) > 0) o << "  attempts " << field(item, "attempts", 0);
      if (!string_field(item, "last_error").empty()) o << "  " << string_field(item, "last_error");
      o << "\n";
    }
  }
}

// "1234 of 5000 tokens" style: today's spend against the day's limits.
void render_budget(std::ostringstream& o, const nlohmann::json& s) {
  if (s.contains("budget_error")) {
    o << "Budget    ? cannot read the journal: " << field(s, "budget_error", std::string()) << "\n";
    return;
  }
  const auto& b = member(s, "budget");
  if (!b.is_object()) return;
  o << "Today     " << field(b, "day", std::string()) << " UTC: " << field(b, "tokens", 0LL) << " tokens ("
    << field(b, "input_tokens", 0LL) << " in / " << field(b, "output_tokens", 0LL) << " out, " << field(b, "calls", 0LL)
    << " LLM calls)";
  if (member(b, "max_tokens_per_day").is_number()) o << " of " << field(b, "max_tokens_per_day", 0LL);
  if (member(b, "cost_usd").is_number()) o << fmt::format(", ${:.4f}", field(b, "cost_usd", 0.0));
  if (member(b, "max_cost_per_day_usd").is_number())
    o << fmt::format(" of ${:.2f}", field(b, "max_cost_per_day_usd", 0.0));
  o << "\n";
  if (field(b, "used_up", false))
    o << "          budget used up: new orders stay pending until 00:00 UTC (" << field(b, "reason", std::string())
      << ")\n";
}

void render_held(std::ostringstream& o, const nlohmann::json& backend) {
  const auto& held = member(backend, "held_for_operator");
  if (!held.is_array() || held.empty()) return;
  o << "Pending for you (outside runtime.auto_accept; take one with `gigent-runtime accept ID`):\n";
  for (const auto& item : held) {
    o << "  - " << string_field(item, "order_id") << "  \"" << string_field(item, "gig_title") << "\"  "
      << string_field(item, "tier");
    if (member(item, "price").is_number()) o << fmt::format("  ${:.2f}", field(item, "price", 0.0));
    o << "  " << string_field(item, "why") << "\n";
  }
}

}  // namespace

std::string render_status(const nlohmann::json& s) {
  std::ostringstream o;
  o << "Agent     " << string_field(s, "agent_name") << "\n";
  o << "Config    " << string_field(s, "config") << "\n";
  o << "Backend   " << string_field(s, "backend_url") << "\n";
  if (s.contains("credentials_error")) o << "Credentials  PROBLEM: " << string_field(s, "credentials_error") << "\n";
  if (!field(s, "registered", false)) {
    o << "Agent id  (not registered yet: `gigent-runtime run` registers it)\n";
  } else {
    o << "Agent id  " << string_field(s, "agent_id") << "\n";
    render_backend(o, member(s, "backend"));
  }
  const auto& d = member(s, "daemon");
  render_daemon(o, d);
  render_budget(o, s);
  render_held(o, member(s, "backend"));
  render_kept_orders(o, d);
  return o.str();
}

}  // namespace gigent::cli
