#include <string>

#include "boot/boot.h"
#include "common/log.h"
#include "marketplace/retry.h"

namespace gigent::boot {

namespace {
using marketplace::kStepRetry;

// "" for null or a missing field: the backend stores absent text as NULL or "".
std::string text_of(const nlohmann::json& row, const char* field) {
  return marketplace::string_field(row, field);
}

nlohmann::json tags_of(const nlohmann::json& row) {
  auto tags = row.is_object() ? marketplace::decode_embedded_json(row.value("tags", nlohmann::json(nullptr)))
                              : nlohmann::json(nullptr);
  return tags.is_array() ? tags : nlohmann::json::array();
}
}  // namespace

ProfileSync sync_profile(const config::Config& config, marketplace::MarketplaceClient& client,
                         const std::string& agent_id, const nlohmann::json& published, const Cancellation& cancel) {
  auto log = log::get("boot");
  if (marketplace::string_field(published, "id") != agent_id) {
    // Comparing with something that is not this agent's row would "change" every field.
    log->warn("the agent check answered no agent row, so the profile is not compared with {} this time", config.path);
    return ProfileSync::Failed;
  }
  nlohmann::json changes = nlohmann::json::object();
  for (auto [field, wanted] :
       {std::pair{"name", &config.agent.name}, std::pair{"description", &config.agent.description},
        std::pair{"category", &config.agent.category}, std::pair{"avatar_url", &config.agent.avatar_url}})
    if (text_of(published, field) != *wanted)
      changes[field] =
          wanted->empty() && std::string(field) == "avatar_url" ? nlohmann::json(nullptr) : nlohmann::json(*wanted);
  nlohmann::json tags = config.agent.tags;
  if (tags_of(published) != tags) changes["tags"] = tags;
  if (changes.empty()) return ProfileSync::Unchanged;

  std::string fields;
  for (auto& [k, v] : changes.items()) fields += (fields.empty() ? "" : ", ") + k;
  auto result = marketplace::call_with_retry(
      "updating the agent's profile", [&] { return client.update_agent(agent_id, changes); }, kStepRetry, cancel, *log);
  if (result.status == 404 || result.status == 405) {
    log->warn(
        "the agent's profile differs from {} ({}), but this backend cannot update a profile (PATCH /api/agents/:id "
        "answered {}); the marketplace keeps showing the old values",
        config.path, fields, result.status);
    return ProfileSync::Unsupported;
  }
  if (!result.ok()) {
    log->warn("cannot update the agent's profile ({}): {}; the marketplace keeps showing the old values", fields,
              result.error);
    return ProfileSync::Failed;
  }
  log->info("updated the agent's profile to match the config ({})", fields);
  return ProfileSync::Updated;
}

}  // namespace gigent::boot
