#include "cli/fleet_status.h"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/status_report.h"
#include "common/log.h"
#include "common/time_format.h"
#include "engine/engine.h"

namespace gigent::cli {

namespace {

std::string text_of(const nlohmann::json& object, const char* key, const std::string& fallback = "-") {
  auto it = object.find(key);
  return it != object.end() && it->is_string() && !it->get_ref<const std::string&>().empty() ? it->get<std::string>()
                                                                                             : fallback;
}

long long count_of(const nlohmann::json& state, const char* key) {
  auto counters = state.find("counters");
  if (counters == state.end() || !counters->is_object()) return 0;
  auto it = counters->find(key);
  return it != counters->end() && it->is_number_integer() ? it->get<long long>() : 0;
}

// "12 s ago" from the heartbeat loop's last success, "-" when none.
std::string heartbeat_age(const nlohmann::json& state) {
  auto loops = state.find("loops");
  if (loops == state.end() || !loops->is_object() || !loops->contains("heartbeat")) return "-";
  std::string when = text_of((*loops)["heartbeat"], "last_success", "");
  if (when.empty()) return "never";
  std::tm tm{};
  if (!strptime(when.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return when;
  const auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  return human_duration(
             std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() - then)) +
         " ago";
}

}  // namespace

int fleet_status(const fleet::AgentSources& sources, bool json, std::ostream& out, std::ostream& err) {
  std::vector<std::string> configs;
  try {
    configs = fleet::discover_configs(sources);
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return engine::kExitBadConfig;
  }
  nlohmann::json agents = nlohmann::json::array();
  nlohmann::json process;
  bool all_running = !configs.empty();
  std::string newest;
  for (const auto& path : configs) {
    auto state = read_daemon_state(engine::RuntimePaths::for_config(path));
    state["config"] = path;
    const bool running = state.value("running", false) && text_of(state, "phase", "") != "failed";
    all_running = all_running && running;
    // The freshest state file says best how the process picks up orders now.
    if (running && state.contains("process") && text_of(state, "updated_at", "") >= newest) {
      newest = text_of(state, "updated_at", "");
      process = state["process"];
    }
    agents.push_back(std::move(state));
  }
  if (json) {
    out << nlohmann::json{{"process", process}, {"agents", agents}}.dump(2) << "\n";
    return all_running ? engine::kExitOk : engine::kExitFailure;
  }
  if (process.is_object())
    out << fmt::format("Process   pid {}, {} agent(s), {} shared worker thread(s), order pickup: {}\n",
                       process.value("pid", 0), process.value("agents", 0), process.value("workers", 0),
                       text_of(process, "order_pickup"));
  else
    out << "Process   not running\n";
  out << fmt::format("{:<28} {:<10} {:>9} {:>9} {:>6}  {:<14} {}\n", "AGENT", "STATE", "IN FLIGHT", "DELIVERED",
                     "FAILED", "HEARTBEAT", "NOTE");
  for (const auto& state : agents) {
    const std::string file = std::filesystem::path(text_of(state, "config")).filename().string();
    const std::string name = terminal_safe(text_of(state, "agent_name", file));
    const bool running = state.value("running", false);
    const std::string phase = text_of(state, "phase", "not started");
    std::string note = terminal_safe(text_of(state, "error", ""));
    if (note.size() > 120) note = note.substr(0, 117) + "...";
    if (note.empty() && name != file) note = file;
    const auto in_flight = state.contains("in_flight") && state["in_flight"].is_array() ? state["in_flight"].size() : 0;
    const bool serving = running && phase != "failed";
    auto number = [serving](auto n) { return serving ? std::to_string(n) : std::string("-"); };
    out << fmt::format("{:<28} {:<10} {:>9} {:>9} {:>6}  {:<14} {}\n", name.substr(0, 28),
                       running ? phase : (phase == "failed" ? "failed" : "stopped"), number(in_flight),
                       number(count_of(state, "delivered")), number(count_of(state, "poison")),
                       serving ? heartbeat_age(state) : "-", note);
  }
  return all_running ? engine::kExitOk : engine::kExitFailure;
}

}  // namespace gigent::cli
