#include <chrono>
#include <set>

#include <fmt/format.h>

#include "boot/boot.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/status_registry.h"
#include "common/time_format.h"
#include "marketplace/retry.h"

namespace gigent::boot {

namespace {
// At boot the backend may simply not be up yet: wait for it, politely.
const marketplace::RetryPolicy kWaitForBackend{-1, std::chrono::milliseconds(1000), std::chrono::milliseconds(30000)};

[[noreturn]] void fail_cancelled() {
  throw BootError("stopped before boot finished", 0);
}

// The agents registered for `wallet` under `name`, every page. nullopt when
// the backend cannot filter by owner_wallet (it answered a non-retryable error).
std::optional<std::vector<nlohmann::json>> agents_named(marketplace::MarketplaceClient& client,
                                                        const std::string& wallet, const std::string& name,
                                                        const Cancellation& cancel, spdlog::logger& log) {
  std::vector<nlohmann::json> found;
  marketplace::Page page{100, 0};
  while (true) {
    auto result = marketplace::call_with_retry(
        // Named for the step the operator asked for: nothing is posted until it answers.
        "registration",
        [&] {
          auto r = client.list_agents_by_owner(wallet, page);
          bool shaped =
              r.body.is_array() || (r.body.is_object() && r.body.contains("agents") && r.body["agents"].is_array());
          return require_shape(std::move(r), shaped, "no agent list");
        },
        kWaitForBackend, cancel, log);
    if (cancel.cancelled() && !result.ok()) fail_cancelled();
    if (!result.ok()) {
      log.warn("cannot look up the agents of wallet {} ({}); registering without the duplicate check", wallet,
               result.error);
      return std::nullopt;
    }
    const auto& agents = result.body.is_object() ? result.body.value("agents", nlohmann::json::array()) : result.body;
    if (!agents.is_array()) return std::nullopt;
    for (const auto& agent : agents)
      if (agent.is_object() && marketplace::string_field(agent, "name") == name &&
          marketplace::string_field(agent, "owner_wallet", wallet) == wallet)
        found.push_back(agent);
    if (static_cast<int>(agents.size()) < page.limit) break;
    page.offset += page.limit;
  }
  return found;
}

std::string describe_agent(const nlohmann::json& agent) {
  std::string text = marketplace::string_field(agent, "id", "?");
  std::string created = marketplace::string_field(agent, "created_at");
  if (!created.empty()) text += ", registered " + created;
  return text;
}
}  // namespace

marketplace::ApiResult require_shape(marketplace::ApiResult result, bool has_shape, const char* expected) {
  if (result.ok() && !has_shape)
    result.error = "HTTP " + std::to_string(result.status) + ": unexpected response (" + expected + ")";
  return result;
}

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
  const std::string& wallet = config.owner.wallet;
  const std::string& name = config.agent.name;

  // One owner may run many agents, so the backend never refuses a second
  // registration: the runtime itself makes sure it does not create one by
  // accident (lost credentials, or a registration whose answer was lost).
  auto before = agents_named(client, wallet, name, cancel, *log);
  if (before && !before->empty())
    throw BootError("the backend already has an agent named \"" + name + "\" for wallet " + wallet + " (" +
                        describe_agent(before->front()) + "), but there are no credentials at " + credentials_path +
                        ". To run that agent, restore its .gigent-credentials (from a backup, or the machine that ran "
                        "it) next to " +
                        config.path +
                        ". To register a second, separate agent instead, give this one another agent.name. The "
                        "runtime does not register a same-named agent for the same wallet on its own, since that "
                        "usually means the credentials were lost",
                    3);
  std::set<std::string> known;
  if (before)
    for (const auto& agent : *before) known.insert(marketplace::string_field(agent, "id"));

  nlohmann::json body = {
      {"name", name},
      {"description", config.agent.description},
      {"category", config.agent.category},
      {"tags", config.agent.tags},
      {"owner_wallet", wallet},
  };
  if (!config.agent.avatar_url.empty()) body["avatar_url"] = config.agent.avatar_url;

  marketplace::ApiResult result;
  std::optional<std::chrono::system_clock::time_point> last_success;
  for (int attempt = 0;; ++attempt) {
    result = client.register_agent(body);
    if (result.ok() || !result.retryable() || cancel.cancelled()) break;
    // The answer is lost (dropped connection, timeout, 5xx, a body that is
    // not the row): the backend may have registered the agent all the same.
    // Its key is shown only once, so a blind retry would leave that agent
    // orphaned and create a second one. Look before posting again.
    if (!before) {
      throw BootError(fmt::format("registration of \"{}\" got no usable answer ({}), and this backend cannot list "
                                  "agents by owner_wallet, so the runtime cannot tell whether the agent was "
                                  "registered. Check the marketplace for an agent named \"{}\" of wallet {}: if "
                                  "there is none, start again; if there is, its key was lost (see README: "
                                  "registration), so give this agent another agent.name and start again",
                                  name, result.error, name, wallet),
                      3);
    }
    auto after = agents_named(client, wallet, name, cancel, *log);
    if (!after)
      throw BootError(fmt::format("registration of \"{}\" got no usable answer ({}) and the agent lookup stopped "
                                  "working; start again to retry (the lookup runs first)",
                                  name, result.error),
                      3);
    for (const auto& agent : *after) {
      if (known.count(marketplace::string_field(agent, "id"))) continue;
      throw BootError(
          fmt::format("the backend registered agent \"{}\" for wallet {} ({}), but its answer, which carries the "
                      "only copy of the API key, was lost ({}). The key cannot be recovered, so the runtime stops "
                      "rather than register a second agent. That agent has no gigs, so buyers cannot order from "
                      "it. To go on: if you have its key, write {{\"agent_id\": \"{}\", \"api_key\": \"...\"}} "
                      "to {} (mode 0600); otherwise give this agent another agent.name in {} and start again (ask "
                      "the marketplace operator to remove the orphaned one)",
                      name, wallet, describe_agent(agent), result.error, marketplace::string_field(agent, "id"),
                      credentials_path, config.path),
          3);
    }
    auto delay = marketplace::backoff_delay(kWaitForBackend, attempt);
    log->warn("{} (the backend has no agent \"{}\" for this wallet yet, so nothing was registered)",
              failure_message("registration", result.error, delay, last_success), name);
    if (!RealSleeper::instance().sleep_for(delay, cancel)) break;
  }
  if (cancel.cancelled() && !result.ok()) fail_cancelled();
  if (result.status == 409)
    throw BootError("registration refused: " + result.error + ". This backend allows one agent per wallet and " +
                        wallet + " already owns one: restore that agent's .gigent-credentials next to " + config.path +
                        ", or set another owner.wallet",
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
