#include "boot/credentials.h"

#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace gigent::boot {

std::string credentials_path_for(const std::string& config_path) {
  auto dir = std::filesystem::absolute(config_path).parent_path();
  return (dir / ".gigent-credentials").string();
}

Credentials parse_credentials(const std::string& text, const std::string& path) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    throw CredentialsError(path +
                           ": not a JSON object; restore it from a backup, or delete it to register a new agent");
  Credentials c;
  for (auto [field, target] : {std::pair{"agent_id", &c.agent_id}, std::pair{"api_key", &c.api_key},
                               std::pair{"registered_at", &c.registered_at}}) {
    auto it = json.find(field);
    if (it == json.end() || !it->is_string() ||
        (it->get_ref<const std::string&>().empty() && std::string(field) != "registered_at")) {
      if (std::string(field) == "registered_at" && it == json.end()) continue;
      throw CredentialsError(path + ": field \"" + field +
                             "\" is missing or not a non-empty string; restore the file from a backup, or delete it "
                             "to register a new agent");
    }
    *target = it->get<std::string>();
  }
  return c;
}

std::optional<Credentials> load_credentials(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw CredentialsError(path + ": cannot read: " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) throw CredentialsError(path + ": not a regular file");
  if (st.st_uid != ::geteuid())
    throw CredentialsError(path + ": owned by uid " + std::to_string(st.st_uid) +
                           ", not by the user running the runtime (uid " + std::to_string(::geteuid()) +
                           "); fix with: chown $(id -u) " + path);
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw CredentialsError(path + ": permissions " + mode + " let other users read the API key; fix with: chmod 600 " +
                           path);
  }
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception& e) {
    throw CredentialsError(e.what());
  }
  return parse_credentials(text, path);
}

void save_credentials(const std::string& path, const Credentials& c) {
  nlohmann::json json = {{"agent_id", c.agent_id}, {"api_key", c.api_key}, {"registered_at", c.registered_at}};
  try {
    atomic_write_file(path, json.dump(2) + "\n", 0600);
  } catch (const std::exception& e) {
    throw CredentialsError(std::string("cannot save credentials: ") + e.what());
  }
}

}  // namespace gigent::boot
