#pragma once
// Boot steps 2-6 of the spec: credentials, registration, the agent check,
// gig publishing.
#include <map>
#include <stdexcept>
#include <string>

#include <spdlog/logger.h>

#include "boot/credentials.h"
#include "common/cancel.h"
#include "config/config.h"
#include "marketplace/client.h"

namespace gigent::boot {

// A boot failure the operator must fix; what() says what and how. The daemon
// exits with `exit_code` (see README: exit codes).
class BootError : public std::runtime_error {
 public:
  BootError(const std::string& message, int exit_code) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Loads the credentials, or registers the agent and saves them. Waits for an
// unreachable backend (with backoff) until `cancel` fires. Throws BootError.
Credentials ensure_registered(const config::Config& config, const std::string& backend_url,
                              const std::string& credentials_path, const Cancellation& cancel);

// Fails (BootError) when the backend answers 404 for the agent: credentials
// from another backend, or a reset database.
nlohmann::json verify_agent(marketplace::MarketplaceClient& client, const Credentials& credentials,
                            const Cancellation& cancel);

// A 2xx whose body lacks the shape a step needs (a proxy's page, another
// service) becomes a retryable failure of that step, never data to act on.
marketplace::ApiResult require_shape(marketplace::ApiResult result, bool has_shape, const char* expected);

enum class ProfileSync { Unchanged, Updated, Unsupported, Failed };

// The agent's profile follows the file: a name, description, category, tags or
// avatar_url that differs from `published` (the agent row) is sent with
// PATCH /api/agents/:id and logged. A backend without that route (404/405)
// or a failed PATCH is a warning, never a boot failure.
ProfileSync sync_profile(const config::Config& config, marketplace::MarketplaceClient& client,
                         const std::string& agent_id, const nlohmann::json& published, const Cancellation& cancel);

struct PublishReport {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  int paused = 0;       // no longer in the config
  int reactivated = 0;  // back in the config after the runtime paused it
  int left_paused = 0;  // in the config, paused by someone else
  int renamed = 0;      // `replaces`
};

// What the runtime remembers about its agent's gigs (.gigent-gigs.json next
// to the config, mode 0600): which ones it paused itself, so a gig that comes
// back into the config is re-activated while one paused by hand stays paused.
struct GigMemory {
  struct Entry {
    std::string title;
    bool paused_by_runtime = false;
  };
  std::string agent_id;
  std::map<std::string, Entry> gigs;  // by gig id
};
std::string gig_memory_path_for(const std::string& config_path);

// Makes the backend's gigs follow the YAML. Reads the agent's own gigs of
// every status (GET /api/agents/me, plus each remembered gig by id), then:
// creates a missing title (a lost answer is resolved by reading back, never
// by posting twice); PATCHes fields that differ; renames the gig named by
// `replaces`; re-activates a gig the runtime paused; leaves a gig paused by
// someone else paused (logged); pauses, never deletes, an active gig that is
// no longer in the YAML. Throws BootError.
PublishReport publish_gigs(const config::Config& config, marketplace::MarketplaceClient& client,
                           const std::string& agent_id, const Cancellation& cancel);

// POSTs one gig; after a lost answer, reads the agent's gigs back and returns
// the id of the one that was created instead of posting it again.
std::string create_gig_once(marketplace::MarketplaceClient& client, const config::Gig& gig,
                            const nlohmann::json& wanted, const std::string& agent_id, const Cancellation& cancel,
                            spdlog::logger& log);

// The JSON body for POST /api/gigs (also what PATCH compares against).
nlohmann::json gig_body(const config::Gig& gig, const std::string& agent_id);

}  // namespace gigent::boot
