#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "common/secret.h"
#include "server/store.h"
#include "server/store_sql.h"

namespace gigent::server {

using sql::kAgentSelect;
using sql::like_pattern;
using sql::public_agent;

std::string wallet_address_for(const std::string& agent_id) {
  return "0x" + sha256_hex(agent_id).substr(0, 40);
}

Registration Store::register_agent(const NewAgent& fields) {
  Registration result;
  std::string id = uuid_v4();
  result.api_key = "sk_" + random_hex(24);
  auto text = [](const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); };
  // One owner may run any number of agents, as on the deployed service.
  write([&](Connection& conn) {
    conn.execute(
        "INSERT INTO agents (id, name, description, category, tags, "
        "avatar_url, owner_wallet, "
        "wallet_address, api_key_hash, last_seen) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, NULL)",
        {id, fields.name, text(fields.description), fields.category.empty() ? "general" : fields.category, fields.tags,
         text(fields.avatar_url), fields.owner_wallet, wallet_address_for(id), sha256_hex(result.api_key)});
  });
  result.agent = *this->agent(id);
  result.agent.erase("is_online");
  result.agent["api_key"] = result.api_key;
  return result;
}

std::optional<Json> Store::update_agent(const std::string& id, const Json& fields) {
  static const std::set<std::string, std::less<>> columns{"name", "description", "category",
                                                          "tags", "avatar_url",  "status"};
  std::string sets;
  std::vector<Json> params{id};
  for (auto& [key, value] : fields.items()) {
    if (!columns.count(key)) throw StoreError("unknown agent column " + key);
    params.push_back(value);
    sets += key + " = ?" + std::to_string(params.size()) + ", ";
  }
  int changed = 0;
  write([&](Connection& conn) {
    changed = conn.execute("UPDATE agents SET " + sets + "updated_at = datetime('now') WHERE id = ?1", params);
  });
  if (!changed) return std::nullopt;
  return agent(id);
}

std::optional<std::string> Store::rotate_key(const std::string& id) {
  std::string key = "sk_" + random_hex(24);
  int changed = 0;
  // The cache entry of the old key goes in the same critical section as the
  // commit, so no request after this returns can still pass with it.
  std::unique_lock cache(key_cache_mutex_);
  write([&](Connection& conn) {
    changed = conn.execute(
        "UPDATE agents SET api_key_hash = ?2, updated_at = "
        "datetime('now') WHERE id = ?1",
        {id, sha256_hex(key)});
    if (changed) engine_->announce_key_rotation(conn, id);
  });
  drop_cached_keys(id);
  if (!changed) return std::nullopt;
  return key;
}

void Store::drop_cached_keys(const std::string& agent_id) {
  for (auto it = key_cache_.begin(); it != key_cache_.end();) {
    if (it->second == agent_id)
      it = key_cache_.erase(it);
    else
      ++it;
  }
  ++key_epoch_;
}

void Store::forget_keys_of(const std::string& agent_id) {
  std::unique_lock cache(key_cache_mutex_);
  drop_cached_keys(agent_id);
}

std::optional<std::string> Store::agent_for_key(const std::string& api_key) {
  std::string hash = sha256_hex(api_key);
  std::uint64_t epoch = 0;
  {
    std::shared_lock lock(key_cache_mutex_);
    if (auto it = key_cache_.find(hash); it != key_cache_.end()) return it->second;
    epoch = key_epoch_;
  }
  auto row = connection()->query_one("SELECT id FROM agents WHERE api_key_hash = ?1", {hash});
  if (!row) return std::nullopt;
  std::string id = (*row)["id"].get<std::string>();
  std::unique_lock lock(key_cache_mutex_);
  if (key_epoch_ == epoch) key_cache_.emplace(std::move(hash), id);
  return id;
}

std::vector<std::optional<std::string>> Store::agents_for_keys(const std::vector<std::string>& api_keys) {
  std::vector<std::optional<std::string>> agents(api_keys.size());
  std::vector<std::string> hashes;
  hashes.reserve(api_keys.size());
  for (const auto& key : api_keys) hashes.push_back(sha256_hex(key));
  std::vector<std::string> missing;
  std::uint64_t epoch = 0;
  {
    std::shared_lock lock(key_cache_mutex_);
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (auto it = key_cache_.find(hashes[i]); it != key_cache_.end())
        agents[i] = it->second;
      else
        missing.push_back(hashes[i]);
    }
    epoch = key_epoch_;
  }
  if (missing.empty()) return agents;
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  std::unordered_map<std::string, std::string> found;  // hash -> agent id
  auto conn = connection();
  for (std::size_t first = 0; first < missing.size(); first += sql::kMaxInList) {
    std::vector<std::string> chunk(
        missing.begin() + static_cast<std::ptrdiff_t>(first),
        missing.begin() + static_cast<std::ptrdiff_t>(std::min(missing.size(), first + sql::kMaxInList)));
    std::string query = "SELECT id, api_key_hash FROM agents WHERE api_key_hash IN (";
    std::vector<Json> params;
    sql::in_list(query, params, chunk);
    for (auto& row : conn->query(query + ")", params))
      found.emplace(row["api_key_hash"].get<std::string>(), row["id"].get<std::string>());
  }
  for (std::size_t i = 0; i < hashes.size(); ++i)
    if (auto it = found.find(hashes[i]); !agents[i] && it != found.end()) agents[i] = it->second;
  std::unique_lock lock(key_cache_mutex_);
  if (key_epoch_ == epoch) key_cache_.insert(found.begin(), found.end());
  return agents;
}

std::optional<Json> Store::agent(const std::string& id) {
  auto row = connection()->query_one(std::string(kAgentSelect) + "WHERE a.id = ?1", {id});
  if (!row) return std::nullopt;
  return public_agent(std::move(*row));
}

bool Store::agent_exists(const std::string& id) {
  return connection()->query_one("SELECT 1 FROM agents WHERE id = ?1", {id}).has_value();
}

std::optional<std::string> Store::heartbeat(const std::string& id) {
  std::optional<std::string> last_seen;
  std::lock_guard writer(write_mutex_);
  auto row = connection()->query_one(
      "UPDATE agents SET last_seen = datetime('now') "
      "WHERE id = ?1 RETURNING last_seen",
      {id});
  if (row) last_seen = (*row)["last_seen"].get<std::string>();
  return last_seen;
}

Json Store::list_agents(const AgentFilter& f) {
  std::string where = "WHERE 1=1";
  std::vector<Json> params;
  auto add = [&](const std::string& column_op, Json value) {
    params.push_back(std::move(value));
    where += " AND " + column_op + " ?" + std::to_string(params.size());
  };
  // Active agents by default, except when looking an agent up by its wallet;
  // "all" lifts the filter.
  if (!f.status.empty() && f.status != "all") {
    add("a.status =", f.status);
  } else if (f.status.empty() && f.owner_wallet.empty()) {
    where += " AND a.status = 'active'";
  }
  if (!f.category.empty()) add("a.category =", f.category);
  if (!f.owner_wallet.empty()) add("a.owner_wallet =", f.owner_wallet);
  if (!f.search.empty()) {
    std::string n = std::to_string(params.size() + 1);
    params.push_back(like_pattern(f.search));
    where += " AND (a.name LIKE ?" + n + " ESCAPE '\\' OR a.description LIKE ?" + n + " ESCAPE '\\')";
  }
  std::string order = "a.rating_avg DESC, a.total_orders_completed DESC, a.created_at DESC";
  if (f.sort == "newest")
    order = "a.created_at DESC";
  else if (f.sort == "orders" || f.sort == "popular")
    order = "a.total_orders_completed DESC, a.rating_avg DESC";
  else if (f.sort == "earnings")
    order = "a.total_earnings DESC";
  else if (f.sort == "name")
    order = "a.name COLLATE NOCASE ASC";
  std::size_t filter_params = params.size();
  std::string n = std::to_string(params.size() + 1), m = std::to_string(params.size() + 2);
  params.push_back(f.limit);
  params.push_back(f.offset);
  auto conn = connection();
  Json agents = Json::array();
  for (auto& row :
       conn->query(fmt::format("{}{} ORDER BY {}, a.rowid DESC LIMIT ?{} OFFSET ?{}", kAgentSelect, where, order, n, m),
                   params))
    agents.push_back(public_agent(std::move(row)));
  params.resize(filter_params);
  auto total = conn->query_one("SELECT COUNT(*) AS n FROM agents a " + where, params);
  return Json{{"agents", std::move(agents)}, {"total", total ? (*total)["n"] : Json(0)}};
}

}  // namespace gigent::server
