#include <chrono>

#include "boot/boot.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/time_format.h"
#include "marketplace/retry.h"

namespace gigent::boot {

namespace {
// At boot the backend may simply not be up yet: wait for it, politely.
const marketplace::RetryPolicy kWaitForBackend{-1, std::chrono::milliseconds(1000), std::chrono::milliseconds(30000)};

[[noreturn]] void fail_cancelled() {
  throw BootError("stopped before boot finished", 0);
}
}  // namespace

Credentials ensure_registered(const config::Config& config, const std::string& backend_url,
                              const std::string& credentials_path, const Cancellation& cancel) {
  auto log = log::get("boot");
  if (auto existing = load_credentials(credentials_path)) {
    log->info("using credentials from {} (agent {}, key {})", credentials_path, existing->agent_id,
              mask_secret(existing->api_key));
    return *existing;
  }

  log->info("no credentials at {}: registering agent \"{}\" with {}", credentials_path, config.agent.name, backend_url);
  marketplace::MarketplaceClient client({backend_url, ""}, &cancel);
  nlohmann::json body = {
      {"name", config.agent.name}, {"description", config.agent.description}, {"category", config.agent.category},
      {"tags", config.agent.tags}, {"owner_wallet", config.owner.wallet},
  };
  if (!config.agent.avatar_url.empty()) body["avatar_url"] = config.agent.avatar_url;
  auto result = marketplace::call_with_retry(
      "registration", [&] { return client.register_agent(body); }, kWaitForBackend, cancel, *log);
  if (cancel.cancelled() && !result.ok()) fail_cancelled();
  if (result.status == 409)
    throw BootError("registration refused: " + result.error + ". The wallet " + config.owner.wallet +
                        " already owns an agent on this backend: restore that agent's .gigent-credentials next to " +
                        config.path + ", or set another owner.wallet",
                    3);
  if (!result.ok()) throw BootError("registration failed: " + result.error, 3);

  // The deployed service returns the row with api_key at the top level; accept
  // {"agent": {...}} too, as some versions wrap it.
  const auto& agent =
      result.body.contains("agent") && result.body["agent"].is_object() ? result.body["agent"] : result.body;
  Credentials creds;
  creds.agent_id = marketplace::string_field(agent, "id");
  creds.api_key = marketplace::string_field(result.body, "api_key", marketplace::string_field(agent, "api_key"));
  creds.registered_at = iso8601(std::chrono::system_clock::now());
  if (creds.agent_id.empty() || creds.api_key.empty())
    throw BootError("registration answered without an agent id or API key; is " + backend_url + " a Gigent backend?",
                    3);
  save_credentials(credentials_path, creds);
  log->info("registered agent {} (key {}); credentials saved to {} (mode 0600)", creds.agent_id,
            mask_secret(creds.api_key), credentials_path);
  return creds;
}

nlohmann::json verify_agent(marketplace::MarketplaceClient& client, const Credentials& credentials,
                            const Cancellation& cancel) {
  auto log = log::get("boot");
  auto result = marketplace::call_with_retry(
      "agent check", [&] { return client.get_agent(credentials.agent_id); }, kWaitForBackend, cancel, *log);
  if (cancel.cancelled() && !result.ok()) fail_cancelled();
  if (result.status == 404)
    throw BootError("the backend at " + client.endpoint().base_url + " does not know agent " + credentials.agent_id +
                        " from .gigent-credentials (deleted, or a different or reset database). Either point the "
                        "runtime at the backend that registered it, or move .gigent-credentials away to register "
                        "a new agent",
                    3);
  if (!result.ok()) throw BootError("agent check failed: " + result.error, 3);
  return result.body;
}

}  // namespace gigent::boot
