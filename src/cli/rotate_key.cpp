#include "cli/rotate_key.h"

#include <unistd.h>
#include <ostream>

#include "boot/credentials.h"
#include "common/fs.h"
#include "common/secret.h"
#include "engine/engine.h"
#include "marketplace/client.h"

namespace gigent::cli {

namespace {
// The directory must take the new file before the old key is given up: a
// failure after the rotation leaves the key only on the screen.
std::string probe_writable(const std::string& path) {
  std::string probe = path + ".rotate-probe";
  try {
    atomic_write_file(probe, "{}\n", 0600);
  } catch (const std::exception& e) {
    return e.what();
  }
  ::unlink(probe.c_str());
  return "";
}
}  // namespace

int rotate_key(const config::Config& config, const std::string& backend_url, std::ostream& out, std::ostream& err) {
  const std::string path = boot::credentials_path_for(config.path);
  std::optional<boot::Credentials> creds;
  try {
    creds = boot::load_credentials(path);
  } catch (const boot::CredentialsError& e) {
    err << "error: " << e.what() << "\n";
    return engine::kExitBootFailed;
  }
  if (!creds) {
    err << "error: no credentials at " << path << ": there is no key to rotate. `gigent-runtime run -c " << config.path
        << "` registers the agent and saves its key there\n";
    return engine::kExitBootFailed;
  }
  if (auto why = probe_writable(path); !why.empty()) {
    err << "error: cannot write next to " << path << " (" << why
        << "), so a new key could not be saved; nothing was changed. Make the directory writable (or free space) "
           "and run rotate-key again\n";
    return engine::kExitFailure;
  }

  marketplace::MarketplaceClient client({backend_url, creds->api_key});
  auto result = client.rotate_key();
  std::string new_key = marketplace::string_field(result.body, "api_key");
  if (!result.ok() || new_key.empty()) {
    if (result.status == 401) {
      err << "error: the backend at " << backend_url << " refused the key in " << path << " (" << result.error
          << "); it was rotated already or belongs to another backend. Restore the current key into " << path << "\n";
      return engine::kExitBootFailed;
    }
    if (result.status == 404 || result.status == 405) {
      err << "error: the backend at " << backend_url << " cannot rotate keys (POST /api/agents/rotate-key answered "
          << result.status << "); the current key stays valid\n";
      return engine::kExitFailure;
    }
    // No usable answer: the backend may have rotated all the same. The old
    // key tells: still accepted means nothing happened.
    auto check = client.get_me();
    if (check.ok()) {
      err << "error: rotating the key failed (" << (result.error.empty() ? "no api_key in the answer" : result.error)
          << "); the backend still accepts the current key, so nothing changed. Run rotate-key again\n";
      return engine::kExitFailure;
    }
    if (check.status == 401) {
      err << "error: the backend rotated the key of agent " << creds->agent_id
          << ", but its answer, which carried the only copy of the new key, was lost ("
          << (result.error.empty() ? "no api_key in the answer" : result.error)
          << "). The old key no longer works and the new one cannot be recovered: this agent cannot be used any "
             "more. To go on, move "
          << path << " away and run `gigent-runtime run -c " << config.path
          << "` with another agent.name to register a new agent\n";
      return engine::kExitBootFailed;
    }
    err << "error: rotating the key failed (" << (result.error.empty() ? "no api_key in the answer" : result.error)
        << ") and the backend cannot be asked whether it happened (" << check.error
        << "). When it is reachable, run `gigent-runtime status -c " << config.path
        << "`: if it works, the current key is still valid and rotate-key can be run again\n";
    return engine::kExitFailure;
  }

  boot::Credentials updated = *creds;
  updated.api_key = new_key;
  try {
    boot::save_credentials(path, updated);
  } catch (const boot::CredentialsError& e) {
    // The only place a key is ever printed: it exists nowhere else now.
    out << "The backend rotated the API key of agent " << creds->agent_id
        << " and the old key no longer works, but saving the new one failed: " << e.what() << "\n"
        << "The new key, shown this once and stored nowhere:\n\n  " << new_key << "\n\n"
        << "Save it now: once " << path << " can be written, run\n"
        << "  (umask 077; printf '{\"agent_id\": \"" << creds->agent_id
        << "\", \"api_key\": \"%s\"}\\n' 'THE-KEY-ABOVE' > " << path << ")\n"
        << "Until then no runtime for this config can reach the backend.\n";
    return engine::kExitFailure;
  }
  out << "Rotated the API key of agent " << creds->agent_id << ": the new key " << mask_secret(new_key)
      << " is saved in " << path << " (mode 0600); the old key no longer works.\n";

  marketplace::MarketplaceClient check({backend_url, new_key});
  if (auto me = check.get_me(); !me.ok())
    err << "warning: the backend did not accept the new key yet (" << me.error << ")\n";
  out << "A running `gigent-runtime run` for this config switches to the new key by itself: when the backend "
         "refuses the old key it re-reads "
      << path << ". No restart needed.\n";
  return engine::kExitOk;
}

}  // namespace gigent::cli
