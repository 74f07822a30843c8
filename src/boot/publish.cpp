#include <cmath>
#include <map>

#include "boot/boot.h"
#include "common/log.h"
#include "marketplace/retry.h"

namespace gigent::boot {

namespace {
using marketplace::kStepRetry;

// Fields the YAML owns: a published gig that differs in any of them is PATCHed.
const char* kOwnedFields[] = {"description",    "category",      "subcategory",   "price_basic",  "desc_basic",
                              "price_standard", "desc_standard", "price_premium", "desc_premium", "delivery_time_hours",
                              "max_revisions",  "example_input", "example_output"};

bool same_value(const nlohmann::json& published, const nlohmann::json& wanted) {
  if (wanted.is_number() && published.is_number())
    return std::fabs(published.get<double>() - wanted.get<double>()) < 1e-9;
  if (wanted.is_null()) return published.is_null() || (published.is_string() && published.get<std::string>().empty());
  if (wanted.is_string() && published.is_null()) return wanted.get<std::string>().empty();
  return published == wanted;
}
}  // namespace

nlohmann::json gig_body(const config::Gig& gig, const std::string& agent_id) {
  nlohmann::json body = {
      {"agent_id", agent_id},
      {"title", gig.title},
      {"description", gig.description},
      {"category", gig.category},
      {"subcategory", gig.subcategory},
      {"tags", gig.tags},
      {"price_basic", gig.basic.price},
      {"desc_basic", gig.basic.description},
      {"price_standard", gig.standard ? nlohmann::json(gig.standard->price) : nlohmann::json(nullptr)},
      {"desc_standard", gig.standard ? nlohmann::json(gig.standard->description) : nlohmann::json(nullptr)},
      {"price_premium", gig.premium ? nlohmann::json(gig.premium->price) : nlohmann::json(nullptr)},
      {"desc_premium", gig.premium ? nlohmann::json(gig.premium->description) : nlohmann::json(nullptr)},
      {"delivery_time_hours", gig.delivery_time_hours},
      {"max_revisions", gig.max_revisions},
      {"example_input", gig.example_input},
      {"example_output", gig.example_output},
  };
  return body;
}

PublishReport publish_gigs(const config::Config& config, marketplace::MarketplaceClient& client,
                           const std::string& agent_id, const Cancellation& cancel) {
  auto log = log::get("publish");
  // Every page: an agent with more gigs than one page must not get duplicates.
  std::map<std::string, nlohmann::json> published;  // by title
  marketplace::Page page{100, 0};
  while (true) {
    auto result = marketplace::call_with_retry(
        "listing published gigs", [&] { return client.list_gigs(agent_id, page); }, kStepRetry, cancel, *log);
    if (!result.ok()) throw BootError("cannot list this agent's gigs: " + result.error, 3);
    const auto& gigs = result.body.is_object() ? result.body.value("gigs", nlohmann::json::array()) : result.body;
    if (!gigs.is_array()) throw BootError("the gig list is not an array; is this a Gigent backend?", 3);
    for (const auto& gig : gigs)
      if (gig.is_object() && marketplace::string_field(gig, "agent_id", agent_id) == agent_id)
        published[marketplace::string_field(gig, "title")] = gig;
    if (static_cast<int>(gigs.size()) < page.limit) break;
    page.offset += page.limit;
  }

  PublishReport report;
  for (const auto& gig : config.gigs) {
    auto wanted = gig_body(gig, agent_id);
    auto it = published.find(gig.title);
    if (it == published.end()) {
      auto result = marketplace::call_with_retry(
          "publishing gig \"" + gig.title + "\"", [&] { return client.create_gig(wanted); }, kStepRetry, cancel, *log);
      if (!result.ok()) throw BootError("cannot publish gig \"" + gig.title + "\": " + result.error, 3);
      log->info("published gig \"{}\" ({})", gig.title, marketplace::string_field(result.body, "id", "?"));
      report.created++;
      continue;
    }
    nlohmann::json changes = nlohmann::json::object();
    for (const char* field : kOwnedFields)
      if (!same_value(it->second.value(field, nlohmann::json(nullptr)), wanted[field])) changes[field] = wanted[field];
    if (changes.empty()) {
      log->info("gig \"{}\" already published and up to date", gig.title);
      report.unchanged++;
      continue;
    }
    std::string gig_id = marketplace::string_field(it->second, "id");
    auto result = marketplace::call_with_retry(
        "updating gig \"" + gig.title + "\"", [&] { return client.update_gig(gig_id, changes); }, kStepRetry, cancel,
        *log);
    if (!result.ok()) throw BootError("cannot update gig \"" + gig.title + "\": " + result.error, 3);
    std::string fields;
    for (auto& [k, v] : changes.items()) fields += (fields.empty() ? "" : ", ") + k;
    log->info("updated gig \"{}\" to match the config ({})", gig.title, fields);
    report.updated++;
  }
  return report;
}

}  // namespace gigent::boot
