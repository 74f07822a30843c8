#pragma once
// Boot steps 2-6 of the spec: credentials, registration, the agent check,
// gig publishing.
#include <stdexcept>
#include <string>

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

struct PublishReport {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
};

// Publishes the YAML's gigs: creates missing titles, PATCHes gigs whose
// price, description, tiers or delivery terms differ. Reads every page.
PublishReport publish_gigs(const config::Config& config, marketplace::MarketplaceClient& client,
                           const std::string& agent_id, const Cancellation& cancel);

// The JSON body for POST /api/gigs (also what PATCH compares against).
nlohmann::json gig_body(const config::Gig& gig, const std::string& agent_id);

}  // namespace gigent::boot
