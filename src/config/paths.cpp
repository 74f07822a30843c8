#include "config/paths.h"

#include <sys/stat.h>
#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "common/fs.h"

namespace gigent::config {

std::string own_state_dir(const std::string& config_path) {
  const auto config = std::filesystem::absolute(config_path);
  return (config.parent_path() / ".gigent" / config.stem()).string();
}

std::string state_dir_for(const std::string& config_path) {
  std::string own = own_state_dir(config_path);
  struct stat st {};
  // lstat: a link is never taken for the folder (the runtime follows no links for its files).
  if (::lstat(own.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return own;
  return std::filesystem::absolute(config_path).parent_path().string();
}

void make_own_state_dir(const std::string& config_path) {
  const std::filesystem::path own = own_state_dir(config_path);
  for (const auto& dir : {own.parent_path(), own}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw std::runtime_error("cannot make " + dir.string() + " for the files of " + config_path + ": " +
                               errno_text(errno));
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw std::runtime_error(dir.string() + " must be a directory (not a link or a file): it keeps the files of " +
                               config_path);
  }
}

}  // namespace gigent::config
