#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "boot/boot.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/status_registry.h"
#include "config/paths.h"
#include "marketplace/retry.h"

namespace gigent::boot {

namespace {
using marketplace::kStepRetry;
// Reading the agent's gigs decides what is created: an answer without a gig
// list is retried (never read as "no gigs", which would post duplicates),
// patiently but without the long waits of a backend that is down.
const marketplace::RetryPolicy kReadRetry{8, std::chrono::milliseconds(500), std::chrono::milliseconds(4000)};

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

// The published api_schema (JSON text, or an object from a backend that
// decodes it) says the same as the gig's input_schema.
bool same_schema(const nlohmann::json& published, const config::Gig& gig) {
  if (published.is_string())
    return nlohmann::json::parse(published.get<std::string>(), nullptr, false) == gig.input_schema;
  return published == gig.input_schema;
}

std::string status_of(const nlohmann::json& gig) {
  return marketplace::string_field(gig, "status", "active");
}

// ---------------------------------------------------------------- memory

GigMemory load_memory(const std::string& path, const std::string& agent_id, spdlog::logger& log) {
  GigMemory memory;
  memory.agent_id = agent_id;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return memory;
    if (errno == ELOOP) refuse_symlink(path, "runtime's gig list");
    log.warn("cannot read {} ({}); gigs paused by the runtime earlier are treated as paused by hand", path,
             errno_text(errno));
    return memory;
  }
  ::close(fd);
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception& e) {
    log.warn("{}; gigs paused by the runtime earlier are treated as paused by hand", e.what());
    return memory;
  }
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("gigs") || !json["gigs"].is_object()) {
    log.warn(
        "{} is not the runtime's gig list (not JSON, or no \"gigs\"); it is rewritten, and gigs paused by the "
        "runtime earlier are treated as paused by hand",
        path);
    return memory;
  }
  // Another agent's list (new credentials next to an old file) says nothing about this one.
  if (marketplace::string_field(json, "agent_id") != agent_id) return memory;
  for (auto& [id, entry] : json["gigs"].items()) {
    if (!entry.is_object()) continue;
    memory.gigs[id] = {
        marketplace::string_field(entry, "title"),
        entry.value("paused_by_runtime", nlohmann::json(false)).is_boolean() && entry["paused_by_runtime"].get<bool>()};
  }
  return memory;
}

void save_memory(const std::string& path, const GigMemory& memory) {
  nlohmann::json gigs = nlohmann::json::object();
  for (const auto& [id, entry] : memory.gigs)
    gigs[id] = {{"title", entry.title}, {"paused_by_runtime", entry.paused_by_runtime}};
  nlohmann::json json = {{"agent_id", memory.agent_id}, {"gigs", gigs}};
  try {
    atomic_write_file(path, json.dump(2) + "\n", 0600);
  } catch (const std::exception& e) {
    // Without it a gig the runtime pauses now would stay paused when it comes
    // back into the config: stop rather than pause what cannot be remembered.
    throw BootError(std::string("cannot save the runtime's gig list: ") + e.what() +
                        "; the directory of the config must be writable",
                    3);
  }
}

// ---------------------------------------------------------------- reading

// Every gig of this agent the backend will show, whatever its status, by id:
// GET /api/agents/me (every status on gigent-server), else the public list
// (active only); plus each remembered gig read by id, for a backend whose
// lists leave paused gigs out.
std::map<std::string, nlohmann::json> read_own_gigs(marketplace::MarketplaceClient& client, const std::string& agent_id,
                                                    const GigMemory& memory, const Cancellation& cancel,
                                                    spdlog::logger& log) {
  std::map<std::string, nlohmann::json> own;
  auto add = [&](const nlohmann::json& gig) {
    if (!gig.is_object()) return;
    std::string id = marketplace::string_field(gig, "id");
    if (id.empty() || marketplace::string_field(gig, "agent_id", agent_id) != agent_id) return;
    own[id] = gig;
  };
  auto me = marketplace::call_with_retry(
      "reading this agent's gigs",
      [&] {
        auto r = client.get_me();
        bool shaped = r.body.is_object() && r.body.contains("gigs") && r.body["gigs"].is_array();
        return require_shape(std::move(r), shaped, "no \"gigs\" list");
      },
      kReadRetry, cancel, log);
  if (me.ok() && me.body.is_object() && me.body.contains("gigs") && me.body["gigs"].is_array()) {
    for (const auto& gig : me.body["gigs"]) add(gig);
  } else {
    if (cancel.cancelled()) throw BootError("stopped before boot finished", 0);
    log.info("GET /api/agents/me gave no gig list ({}); reading the public gig list instead",
             me.error.empty() ? "no \"gigs\"" : me.error);
    marketplace::Page page{100, 0};
    while (true) {
      auto result = marketplace::call_with_retry(
          "listing published gigs",
          [&] {
            auto r = client.list_gigs(agent_id, page);
            bool shaped =
                r.body.is_array() || (r.body.is_object() && r.body.contains("gigs") && r.body["gigs"].is_array());
            return require_shape(std::move(r), shaped, "no gig list");
          },
          kReadRetry, cancel, log);
      if (!result.ok()) throw BootError("cannot list this agent's gigs: " + result.error, 3);
      const auto& gigs = result.body.is_object() ? result.body.value("gigs", nlohmann::json::array()) : result.body;
      if (!gigs.is_array()) throw BootError("the gig list is not an array; is this a Gigent backend?", 3);
      for (const auto& gig : gigs) add(gig);
      if (static_cast<int>(gigs.size()) < page.limit) break;
      page.offset += page.limit;
    }
  }
  for (const auto& [id, entry] : memory.gigs) {
    if (own.count(id)) continue;
    auto result = marketplace::call_with_retry(
        "reading gig " + id, [&, gig_id = id] { return client.get_gig(gig_id); }, kStepRetry, cancel, log);
    if (result.ok()) add(result.body);
  }
  for (auto it = own.begin(); it != own.end();) it = status_of(it->second) == "deleted" ? own.erase(it) : std::next(it);
  return own;
}

std::string short_fields(const nlohmann::json& changes) {
  std::string fields;
  for (auto& [k, v] : changes.items()) fields += (fields.empty() ? "" : ", ") + k;
  return fields;
}
}  // namespace

std::string gig_memory_path_for(const std::string& config_path) {
  return (std::filesystem::path(config::state_dir_for(config_path)) / ".gigent-gigs.json").string();
}

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
  // Buyers (and their agents) read what input the gig takes; sent as text,
  // the shape the deployed service stores.
  if (!gig.input_schema.is_null()) body["api_schema"] = gig.input_schema.dump();
  return body;
}

PublishReport publish_gigs(const config::Config& config, marketplace::MarketplaceClient& client,
                           const std::string& agent_id, const Cancellation& cancel) {
  auto log = log::get("publish");
  const std::string memory_path = gig_memory_path_for(config.path);
  GigMemory memory = load_memory(memory_path, agent_id, *log);
  auto own = read_own_gigs(client, agent_id, memory, cancel, *log);

  // Config gig index → published gig id. Exact titles first, an active gig
  // before a paused one (a duplicate left by an older version is then paused
  // below as "not in the config").
  std::map<std::size_t, std::string> matched;
  std::set<std::string> taken;
  auto find_free = [&](const std::string& title) -> std::string {
    std::string best;
    for (const auto& [id, gig] : own) {
      if (taken.count(id) || marketplace::string_field(gig, "title") != title) continue;
      if (best.empty() || (status_of(gig) == "active" && status_of(own[best]) != "active")) best = id;
    }
    return best;
  };
  for (std::size_t i = 0; i < config.gigs.size(); ++i)
    if (auto id = find_free(config.gigs[i].title); !id.empty()) {
      matched[i] = id;
      taken.insert(id);
    }
  std::set<std::size_t> renamed;
  for (std::size_t i = 0; i < config.gigs.size(); ++i) {
    if (matched.count(i) || !config.gigs[i].replaces) continue;
    if (auto id = find_free(*config.gigs[i].replaces); !id.empty()) {
      matched[i] = id;
      taken.insert(id);
      renamed.insert(i);
    }
  }

  PublishReport report;
  for (std::size_t i = 0; i < config.gigs.size(); ++i) {
    const auto& gig = config.gigs[i];
    auto wanted = gig_body(gig, agent_id);
    auto m = matched.find(i);
    if (m == matched.end()) {
      std::string id = create_gig_once(client, gig, wanted, agent_id, cancel, *log);
      memory.gigs[id] = {gig.title, false};
      report.created++;
      continue;
    }
    const std::string& id = m->second;
    const auto& published = own[id];
    nlohmann::json changes = nlohmann::json::object();
    if (renamed.count(i)) changes["title"] = gig.title;
    for (const char* field : kOwnedFields)
      if (!same_value(published.value(field, nlohmann::json(nullptr)), wanted[field])) changes[field] = wanted[field];
    if (wanted.contains("api_schema") && !same_schema(published.value("api_schema", nlohmann::json(nullptr)), gig))
      changes["api_schema"] = wanted["api_schema"];
    bool active = status_of(published) == "active";
    auto remembered = memory.gigs.find(id);
    bool paused_by_us = remembered != memory.gigs.end() && remembered->second.paused_by_runtime;
    if (!active && paused_by_us) changes["status"] = "active";
    if (!changes.empty()) {
      auto result = marketplace::call_with_retry(
          "updating gig \"" + gig.title + "\"", [&] { return client.update_gig(id, changes); }, kStepRetry, cancel,
          *log);
      if (!result.ok()) throw BootError("cannot update gig \"" + gig.title + "\": " + result.error, 3);
    }
    if (renamed.count(i)) {
      log->info("renamed gig \"{}\" to \"{}\" ({}), as `replaces` says; its orders and reviews stay with it",
                *gig.replaces, gig.title, id);
      report.renamed++;
    }
    if (!active && paused_by_us) {
      log->info("re-activated gig \"{}\" ({}): it is back in the config (the runtime had paused it when it left)",
                gig.title, id);
      report.reactivated++;
    } else if (!active) {
      log->warn(
          "gig \"{}\" ({}) is {} on the backend and was not paused by the runtime: left as it is, so buyers cannot "
          "order it. To sell it again, set it active on the marketplace (PATCH /api/gigs/{} {{\"status\": "
          "\"active\"}} with this agent's key)",
          gig.title, id, status_of(published), id);
      report.left_paused++;
    }
    changes.erase("status");
    changes.erase("title");
    if (!changes.empty()) {
      log->info("updated gig \"{}\" to match the config ({})", gig.title, short_fields(changes));
      report.updated++;
    } else if (!renamed.count(i) && !(!active && paused_by_us)) {
      log->info("gig \"{}\" already published and up to date", gig.title);
      report.unchanged++;
    }
    memory.gigs[id] = {gig.title, false};
  }

  // Gigs no longer in the config are paused, never deleted: their orders and
  // reviews stay, and the gig comes back as it was when its title returns.
  std::vector<std::pair<std::string, std::string>> to_pause;
  for (const auto& [id, gig] : own) {
    if (taken.count(id)) continue;
    std::string title = marketplace::string_field(gig, "title");
    if (status_of(gig) != "active") {
      if (!memory.gigs.count(id)) memory.gigs[id] = {title, false};
      continue;
    }
    to_pause.emplace_back(id, title);
    memory.gigs[id] = {title, true};  // remembered before the PATCH, so a crash in between cannot forget it
  }
  save_memory(memory_path, memory);
  for (const auto& [id, title] : to_pause) {
    nlohmann::json changes = {{"status", "paused"}};
    auto result = marketplace::call_with_retry(
        "pausing gig \"" + title + "\"", [&, gig_id = id] { return client.update_gig(gig_id, changes); }, kStepRetry,
        cancel, *log);
    if (!result.ok()) {
      log->warn(
          "gig \"{}\" ({}) is no longer in the config, but pausing it failed ({}); it stays on sale until the "
          "next start",
          title, id, result.error);
      continue;
    }
    log->info(
        "paused gig \"{}\" ({}): it is no longer in the config; its orders and reviews stay, and it is "
        "re-activated if it comes back",
        title, id);
    report.paused++;
  }
  return report;
}

std::string create_gig_once(marketplace::MarketplaceClient& client, const config::Gig& gig,
                            const nlohmann::json& wanted, const std::string& agent_id, const Cancellation& cancel,
                            spdlog::logger& log) {
  std::optional<std::chrono::system_clock::time_point> last_success;
  for (int attempt = 0;; ++attempt) {
    auto result = client.create_gig(wanted);
    if (result.ok()) {
      std::string id = marketplace::string_field(result.body, "id");
      log.info("published gig \"{}\" ({})", gig.title, id.empty() ? "?" : id);
      if (!id.empty()) return id;
      // A 2xx without an id: read the gig back to learn it.
    } else if (!result.retryable() || cancel.cancelled()) {
      if (cancel.cancelled()) throw BootError("stopped before boot finished", 0);
      throw BootError("cannot publish gig \"" + gig.title + "\": " + result.error, 3);
    }
    // The answer was lost, but the POST may have taken effect: read this
    // agent's gigs back before posting again, or the gig would exist twice.
    GigMemory none;
    auto own = read_own_gigs(client, agent_id, none, cancel, log);
    for (const auto& [id, published] : own)
      if (marketplace::string_field(published, "title") == gig.title) {
        if (!result.ok())
          log.info(
              "the answer to publishing gig \"{}\" was lost ({}), but the backend has it ({}): not posting it "
              "again",
              gig.title, result.error, id);
        return id;
      }
    if (result.ok()) throw BootError("publishing gig \"" + gig.title + "\" answered without the gig's id", 3);
    if (attempt >= kStepRetry.max_retries)
      throw BootError("cannot publish gig \"" + gig.title + "\": " + result.error, 3);
    auto delay = marketplace::backoff_delay(kStepRetry, attempt);
    log.warn("{} (the backend does not have it, so it is posted again)",
             failure_message("publishing gig \"" + gig.title + "\"", result.error, delay, last_success));
    if (!RealSleeper::instance().sleep_for(delay, cancel)) throw BootError("stopped before boot finished", 0);
  }
}

}  // namespace gigent::boot
