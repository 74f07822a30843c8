#include "fleet/discover.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace gigent::fleet {

namespace fs = std::filesystem;

namespace {
std::string absolute_text(const std::string& path) {
  return fs::absolute(path).lexically_normal().string();
}
}  // namespace

std::vector<std::string> discover_configs(const AgentSources& sources) {
  std::vector<std::string> found;
  for (const auto& config : sources.configs) found.push_back(absolute_text(config));
  if (!sources.agents_dir.empty()) {
    std::error_code ec;
    fs::directory_iterator it(sources.agents_dir, ec);
    if (ec)
      throw std::runtime_error("--agents-dir " + sources.agents_dir + ": " + ec.message() +
                               "; give a folder holding one gigent-agent YAML file per agent");
    for (const auto& entry : it) {
      const auto name = entry.path().filename().string();
      const auto ext = entry.path().extension().string();
      if (name.empty() || name.front() == '.' || (ext != ".yaml" && ext != ".yml")) continue;
      if (!entry.is_regular_file(ec)) continue;  // a folder named x.yaml, a dangling link
      found.push_back(absolute_text(entry.path().string()));
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

bool needs_own_state_dir(const std::string& config, const std::vector<std::string>& configs,
                         const std::string& agents_dir) {
  const auto dir = fs::path(config).parent_path();
  if (!agents_dir.empty()) {
    auto folder = fs::absolute(agents_dir).lexically_normal();
    if (!folder.has_filename()) folder = folder.parent_path();  // "agents/" names the same folder as "agents"
    if (dir == folder) return true;
  }
  return std::any_of(configs.begin(), configs.end(),
                     [&](const std::string& other) { return other != config && fs::path(other).parent_path() == dir; });
}

}  // namespace gigent::fleet
