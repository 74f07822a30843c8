#pragma once
// .gigent-credentials: {"agent_id", "api_key", "registered_at"} next to the
// config file, mode 0600 from creation.
#include <optional>
#include <stdexcept>
#include <string>

namespace gigent::boot {

struct Credentials {
  std::string agent_id;
  std::string api_key;
  std::string registered_at;
};

// Thrown with an operator-facing message: what is wrong and how to fix it.
// Never contains the key.
class CredentialsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string credentials_path_for(const std::string& config_path);

// nullopt when the file does not exist. Throws CredentialsError when it exists
// but is unusable: readable by group/others, owned by another user, not JSON,
// missing fields.
std::optional<Credentials> load_credentials(const std::string& path);

// Atomic, 0600 from the start. Throws CredentialsError (disk full, read-only dir, ...).
void save_credentials(const std::string& path, const Credentials& credentials);

// Parses the file's text (exposed for the fuzzer). Throws CredentialsError.
Credentials parse_credentials(const std::string& text, const std::string& path);

}  // namespace gigent::boot
