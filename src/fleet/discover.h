#pragma once
// Which configs a process running many agents runs: the `-c` files and every
// *.yaml / *.yml in `--agents-dir` (hidden files and folders aside), as
// absolute paths, sorted, each once. `run` and `status` read the same set.
#include <string>
#include <vector>

namespace gigent::fleet {

struct AgentSources {
  std::vector<std::string> configs;  // -c, in the order given
  std::string agents_dir;            // --agents-dir; empty: none
};

// Throws std::runtime_error (naming the folder and what to do) when the
// folder cannot be read.
std::vector<std::string> discover_configs(const AgentSources& sources);

// True when some config shares its directory with another of `configs`, or
// comes from the agents folder: it then keeps its files in a folder of its
// own (config/paths.h) so that the agents' files never mix.
bool needs_own_state_dir(const std::string& config, const std::vector<std::string>& configs,
                         const std::string& agents_dir);

}  // namespace gigent::fleet
