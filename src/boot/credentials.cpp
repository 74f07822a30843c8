#include "boot/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/log.h"
#include "common/secret.h"
#include "config/paths.h"

namespace gigent::boot {

namespace {
const char* const kKnownFields[] = {"agent_id", "api_key", "registered_at"};

std::string link_advice(const std::string& path, const std::string& what) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(path, ec);
  return path + ": the " + what + " is a symbolic link" + (ec ? std::string() : " (to " + target.string() + ")") +
         "; the runtime does not follow links for its own files, so that nothing it does or advises can change "
         "another file. Remove the link (rm " +
         path + " removes only the link, not its target) and put the real file in its place";
}

// Small files only: the credentials are a few hundred bytes.
constexpr std::size_t kMaxCredentialsBytes = 1 << 20;
}  // namespace

std::string credentials_path_for(const std::string& config_path) {
  return (std::filesystem::path(config::state_dir_for(config_path)) / ".gigent-credentials").string();
}

void refuse_symlink(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) throw CredentialsError(link_advice(path, what));
}

Credentials parse_credentials(const std::string& text, const std::string& path) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    throw CredentialsError(path +
                           ": not a JSON object; restore it from a backup, or delete it to register a new agent");
  Credentials c;
  for (auto [field, target] : {std::pair{"agent_id", &c.agent_id}, std::pair{"api_key", &c.api_key}}) {
    auto it = json.find(field);
    if (it == json.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      throw CredentialsError(path + ": field \"" + field +
                             "\" is missing or not a non-empty string; restore the file from a backup, or delete it "
                             "to register a new agent");
    *target = it->get<std::string>();
  }
  // Informational only: any type (or none) is accepted, as the TypeScript
  // runtime's own loader does, and written back as it was.
  if (auto it = json.find("registered_at"); it != json.end() && it->is_string())
    c.registered_at = it->get<std::string>();
  for (auto& [key, value] : json.items())
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), key) == std::end(kKnownFields) ||
        (key == "registered_at" && !value.is_string()))
      c.extra[key] = value;
  return c;
}

std::optional<Credentials> load_credentials(const std::string& path) {
  // O_NOFOLLOW: a link is refused before anything (stat, chmod advice) could
  // concern its target; O_NONBLOCK: a FIFO planted there cannot hang boot.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return std::nullopt;
    if (err == ELOOP) throw CredentialsError(link_advice(path, "credentials file"));
    throw CredentialsError(path + ": cannot read: " + errno_text(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw CredentialsError(path + ": cannot read: " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) throw CredentialsError(path + ": not a regular file");
  if (st.st_uid != ::geteuid())
    throw CredentialsError(path + ": owned by uid " + std::to_string(st.st_uid) +
                           ", not by the user running the runtime (uid " + std::to_string(::geteuid()) +
                           "); fix with: chown $(id -u) " + path);
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    std::array<char, 8> mode{};
    std::snprintf(mode.data(), mode.size(), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw CredentialsError(path + ": permissions " + mode.data() +
                           " let other users read the API key; fix with: chmod 600 " + path);
  }
  std::string text;
  std::array<char, 4096> buf{};
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw CredentialsError(path + ": cannot read: " + errno_text(errno));
    if (n == 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > kMaxCredentialsBytes)
      throw CredentialsError(path + ": larger than 1 MB, so not a credentials file; restore it from a backup");
  }
  return parse_credentials(text, path);
}

std::function<std::string()> key_reloader(const std::string& path, const std::string& agent_id) {
  struct Shared {
    std::mutex mutex;
    std::string last_logged;
  };
  auto shared = std::make_shared<Shared>();
  return [path, agent_id, shared]() -> std::string {
    auto log = log::get("boot");
    try {
      auto creds = load_credentials(path);
      if (!creds) return "";
      if (creds->agent_id != agent_id) {
        log->warn("{} now names agent {}, not {}; restart the runtime to switch agents", path, creds->agent_id,
                  agent_id);
        return "";
      }
      std::lock_guard lock(shared->mutex);
      if (creds->api_key != shared->last_logged) {
        shared->last_logged = creds->api_key;
        log->info("the backend refused the API key; re-read {}: key {}", path, mask_secret(creds->api_key));
      }
      return creds->api_key;
    } catch (const CredentialsError& e) {
      log->warn("the backend refused the API key, and {} cannot be re-read: {}", path, e.what());
      return "";
    }
  };
}

void save_credentials(const std::string& path, const Credentials& c) {
  nlohmann::json json = c.extra.is_object() ? c.extra : nlohmann::json::object();
  json["agent_id"] = c.agent_id;
  json["api_key"] = c.api_key;
  if (!json.contains("registered_at")) json["registered_at"] = c.registered_at;
  try {
    atomic_write_file(path, json.dump(2) + "\n", 0600);
  } catch (const std::exception& e) {
    throw CredentialsError(std::string("cannot save credentials: ") + e.what());
  }
}

}  // namespace gigent::boot
