#include "engine/status_report.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <csignal>
#include <ctime>
#include <sstream>

#include "boot/credentials.h"
#include "common/fs.h"
#include "common/status_registry.h"
#include "engine/engine.h"
#include "listener/poller.h"
#include "marketplace/client.h"

namespace gigent::engine {

namespace {
// The daemon holds an flock on the lock file for as long as it runs.
bool lock_is_held(const std::string& lock_path) {
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  if (!held) ::flock(fd, LOCK_UN);
  ::close(fd);
  return held;
}

}  // namespace

nlohmann::json collect_status(const config::Config& config, const std::string& backend_url) {
  auto paths = RuntimePaths::for_config(config.path);
  nlohmann::json out = {{"config", config.path}, {"backend_url", backend_url}, {"agent_name", config.agent.name}};

  std::optional<boot::Credentials> creds;
  try {
    creds = boot::load_credentials(paths.credentials);
  } catch (const std::exception& e) {
    out["credentials_error"] = e.what();
  }
  out["registered"] = creds.has_value();
  if (creds) {
    out["agent_id"] = creds->agent_id;
    marketplace::MarketplaceClient client({backend_url, creds->api_key, std::chrono::seconds(5)});
    // A backend answering the wrong shapes must not make `status` fail: say so instead.
    try {
      auto agent = client.get_agent(creds->agent_id);
      if (agent.ok()) {
        nlohmann::json backend = {{"reachable", true},
                                  {"is_online", agent.body.value("is_online", false)},
                                  {"last_seen", agent.body.value("last_seen", nlohmann::json())},
                                  {"name", agent.body.value("name", "")}};
        nlohmann::json gigs = nlohmann::json::array();
        for (auto& g : agent.body.value("gigs", nlohmann::json::array()))
          gigs.push_back({{"id", g.value("id", "")},
                          {"title", g.value("title", "")},
                          {"price_basic", g.value("price_basic", nlohmann::json())}});
        backend["gigs"] = gigs;
        // The daemon's own paging poller, so the counts cover every page.
        StatusRegistry scratch;
        listener::Poller poller(client, creds->agent_id, scratch);
        nlohmann::json orders = nlohmann::json::object();
        for (const char* st : {"pending", "accepted", "in_progress", "delivered"}) {
          auto found = poller.fetch(st, 0);
          orders[st] = found.ok ? nlohmann::json(found.orders.size()) : nlohmann::json(nullptr);
        }
        backend["orders"] = orders;
        out["backend"] = backend;
      } else {
        out["backend"] = {{"reachable", agent.status != 0}, {"error", agent.error}};
      }
    } catch (const nlohmann::json::exception& e) {
      out["backend"] = {{"reachable", true}, {"error", std::string("unexpected answer: ") + e.what()}};
    }
  }

  nlohmann::json daemon = {{"running", false}};
  try {
    auto state = nlohmann::json::parse(read_file(paths.state));
    int pid = state.value("pid", 0);
    bool alive = pid > 0 && ::kill(pid, 0) == 0 && lock_is_held(paths.lock) && state.value("phase", "") != "stopped";
    daemon = state;
    daemon["running"] = alive;
  } catch (const std::exception&) {
    // No state file: the daemon never ran here.
  }
  out["daemon"] = daemon;
  return out;
}

std::string render_status(const nlohmann::json& s) {
  std::ostringstream o;
  o << "Agent     " << s.value("agent_name", "") << "\n";
  o << "Config    " << s.value("config", "") << "\n";
  o << "Backend   " << s.value("backend_url", "") << "\n";
  if (s.contains("credentials_error"))
    o << "Credentials  PROBLEM: " << s["credentials_error"].get<std::string>() << "\n";
  if (!s.value("registered", false)) {
    o << "Agent id  (not registered yet: `gigent-runtime run` registers it)\n";
  } else {
    o << "Agent id  " << s.value("agent_id", "") << "\n";
    const auto& b = s["backend"];
    if (b.value("reachable", false) && b.contains("is_online")) {
      o << "Online    " << (b.value("is_online", false) ? "yes" : "no") << " (last heartbeat "
        << (b["last_seen"].is_string() ? b["last_seen"].get<std::string>() + " UTC" : std::string("never")) << ")\n";
      o << "Gigs      " << b["gigs"].size() << " active\n";
      for (auto& g : b["gigs"]) o << "  - " << g.value("title", "") << "\n";
      o << "Orders    ";
      bool first = true;
      for (const char* st : {"pending", "accepted", "in_progress", "delivered"}) {
        o << (first ? "" : ", ") << st << " "
          << (b["orders"][st].is_null() ? std::string("?") : b["orders"][st].dump());
        first = false;
      }
      o << "\n";
    } else {
      o << "Backend   unreachable: " << b.value("error", "") << "\n";
    }
  }
  const auto& d = s["daemon"];
  if (d.value("running", false)) {
    o << "Daemon    running (pid " << d.value("pid", 0) << ", " << d.value("phase", "") << ", since "
      << d.value("started_at", "") << ")\n";
    auto in_flight = d.value("in_flight", nlohmann::json::array());
    o << "In flight " << in_flight.size() << " of " << d.value("max_concurrent_orders", 0) << "\n";
    if (d.contains("counters")) {
      auto& c = d["counters"];
      o << "This run  " << c.value("delivered", 0) << " delivered, " << c.value("llm_calls", 0) << " LLM calls, "
        << c.value("input_tokens", 0) << " in / " << c.value("output_tokens", 0) << " out tokens\n";
    }
    const auto loops = d.value("loops", nlohmann::json::object());
    for (const auto& [name, loop] : loops.items()) {
      o << "  " << name << ": " << loop.value("state", "");
      if (loop["last_success"].is_string()) o << "; last success " << loop["last_success"].get<std::string>();
      if (!loop.value("last_error", "").empty()) o << "; last error: " << loop.value("last_error", "");
      o << "\n";
    }
  } else {
    o << "Daemon    not running";
    if (d.contains("updated_at")) o << " (last seen " << d.value("updated_at", "") << ")";
    o << "\n";
  }
  for (const char* key : {"awaiting_delivery", "failed_orders", "retrying_orders"}) {
    auto list = d.value(key, nlohmann::json::array());
    if (list.empty()) continue;
    o << (std::string(key) == "awaiting_delivery" ? "Awaiting delivery (auto_deliver off):"
          : std::string(key) == "failed_orders"   ? "Failed orders (given up):"
                                                  : "Orders waiting for a retry:")
      << "\n";
    for (auto& item : list) {
      o << "  - " << item.value("order_id", "") << "  " << item.value("last_error", "");
      if (std::string(key) == "retrying_orders" && item.value("next_attempt_at", 0LL) > 0)
        o << " (attempt " << item.value("attempts", 0) << "; next try at "
          << iso8601(
                 std::chrono::system_clock::from_time_t(static_cast<std::time_t>(item.value("next_attempt_at", 0LL))))
          << ")";
      o << "\n";
    }
  }
  return o.str();
}

}  // namespace gigent::engine
