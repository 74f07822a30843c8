#include "cli/status_watch.h"

#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <sstream>

#include "cli/agent_access.h"
#include "cli/status_report.h"
#include "common/time_format.h"
#include "engine/engine.h"
#include "engine/journal.h"

namespace gigent::cli {

namespace {

constexpr std::size_t kRecentDeliveries = 5;

// The newest deliveries this agent's journal recorded, as {order_id, at}.
nlohmann::json recent_deliveries(const config::Config& config) {
  nlohmann::json list = nlohmann::json::array();
  try {
    engine::Journal journal(engine::RuntimePaths::for_config(config.path).journal);
    auto delivered = journal.in_states({engine::JobState::Delivered});
    std::sort(delivered.begin(), delivered.end(),
              [](const engine::JobRecord& a, const engine::JobRecord& b) { return a.updated_at > b.updated_at; });
    for (std::size_t i = 0; i < delivered.size() && i < kRecentDeliveries; ++i)
      list.push_back({{"order_id", delivered[i].order_id},
                      {"at", delivered[i].updated_at},
                      {"output_tokens", delivered[i].output_tokens}});
  } catch (const engine::JournalError&) {
    // No journal yet: nothing was delivered from here.
  }
  return list;
}

// SIGINT/SIGTERM are blocked and waited for with a timeout, so the wait
// between two reports ends at once on a signal and no handler is needed.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

bool wait_or_stop(const sigset_t& signals, std::chrono::seconds interval) {
  timespec timeout{static_cast<time_t>(interval.count()), 0};
  return sigtimedwait(&signals, nullptr, &timeout) > 0;
}

}  // namespace

std::string render_watch_extras(const nlohmann::json& status, const nlohmann::json& recent) {
  std::ostringstream o;
  const auto daemon = status.value("daemon", nlohmann::json::object());
  // Budgets are optional in the state file: shown when the daemon reports one.
  if (daemon.is_object() && daemon.contains("budget") && daemon["budget"].is_object()) {
    o << "Budget   ";
    for (const auto& [key, value] : daemon["budget"].items())
      o << " " << terminal_safe(key) << " "
        << terminal_safe(value.is_string() ? value.get<std::string>() : value.dump());
    o << "\n";
  }
  o << "Recent deliveries:";
  if (recent.empty()) o << " none recorded here";
  o << "\n";
  const auto now = std::chrono::system_clock::now();
  for (const auto& d : recent)
    o << "  - " << terminal_safe(d.value("order_id", "")) << "  " << age_of(d.value("at", ""), now) << " ago\n";
  return o.str();
}

int watch_status(const config::Config& config, const std::string& backend_url, const WatchOptions& options,
                 std::ostream& out) {
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  for (int round = 1;; ++round) {
    auto status = collect_status(config, backend_url);
    auto recent = recent_deliveries(config);
    if (options.json) {
      status["recent_deliveries"] = recent;
      out << status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      // Clear screen and home the cursor: the report is redrawn in place.
      if (options.terminal) out << "\x1b[H\x1b[2J";
      out << "Every " << options.interval.count() << " s, Ctrl-C stops. " << iso8601(std::chrono::system_clock::now())
          << "\n\n"
          << render_status(status) << render_watch_extras(status, recent);
      if (!options.terminal) out << "----\n";
    }
    out.flush();
    if (options.max_rounds > 0 && round >= options.max_rounds) break;
    if (wait_or_stop(signals, options.interval)) break;
  }
  return engine::kExitOk;
}

}  // namespace gigent::cli
