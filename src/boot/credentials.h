#pragma once
// .gigent-credentials: {"agent_id", "api_key", "registered_at"} next to the
// config file, mode 0600 from creation. The TypeScript runtime writes the same
// file, sometimes with more keys; those are kept when the file is rewritten.
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gigent::boot {

struct Credentials {
  std::string agent_id;
  std::string api_key;
  std::string registered_at;
  nlohmann::json extra = nlohmann::json::object();  // other keys of the file, written back as they were
};

// Thrown with an operator-facing message: what is wrong and how to fix it.
// Never contains the key.
class CredentialsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string credentials_path_for(const std::string& config_path);

// nullopt when the file does not exist. Throws CredentialsError when it exists
// but is unusable: a symbolic link (never followed, so no advice can touch its
// target), readable by group/others, owned by another user, not JSON, missing
// fields.
std::optional<Credentials> load_credentials(const std::string& path);

// Atomic (temp file, fsync, rename), 0600 from the start. Throws
// CredentialsError (disk full, read-only dir, ...).
void save_credentials(const std::string& path, const Credentials& credentials);

// Parses the file's text (exposed for the fuzzer). Throws CredentialsError.
Credentials parse_credentials(const std::string& text, const std::string& path);

// For marketplace::Endpoint::reload_key: re-reads `path` and returns its key
// when it still names `agent_id` (else "", and the 401 stands). Logs once per
// new key, masked.
std::function<std::string()> key_reloader(const std::string& path, const std::string& agent_id);

// Throws CredentialsError when `path` is a symbolic link: `what` names the
// file ("order journal"). The advice removes the link only, never its target.
void refuse_symlink(const std::string& path, const std::string& what);

}  // namespace gigent::boot
