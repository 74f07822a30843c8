#pragma once
// Where a config's runtime files live (credentials, journal, state, lock,
// gig memory). Next to the config file, as the TypeScript runtime keeps
// them, unless the config has a folder of its own, `.gigent/<file stem>/`
// beside it: a process running several configs that share a directory
// gives each one such a folder, so their files never mix. Every command
// (`run`, `status`, `orders`, ...) finds the same files through here.
#include <string>

namespace gigent::config {

// The directory holding the runtime files of the config at `config_path`.
std::string state_dir_for(const std::string& config_path);

// `.gigent/<stem>/` next to the config, whether it exists or not.
std::string own_state_dir(const std::string& config_path);

// Makes own_state_dir() (mode 0700) so state_dir_for() points there from now
// on. Throws std::runtime_error with the path and the reason when it cannot.
void make_own_state_dir(const std::string& config_path);

}  // namespace gigent::config
