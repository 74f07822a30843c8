// POST /api/orders/wait (the "multi_agent_wait" extension, docs/api.md): one
// request waits for the orders of many agents, so a runtime serving a
// thousand agents holds one connection instead of a thousand long-polls.
//
// Which agents to answer comes from OrderEvents (order_events.h): with a
// cursor of this process, the agents with an order event on the wait's side
// since the cursor whose count in the wait's statuses is above 0; without one
// (or with one this process did not hand out), every agent with such orders.
// A parked wait is registered under each of its agents; an event for any of
// them re-checks it on the read pool.
#include <algorithm>
#include <atomic>
#include <unordered_map>
#include <utility>

#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"
#include "server/order_state.h"

namespace gigent::server {

namespace {

constexpr std::size_t kMaxAgents = 1000;
constexpr std::size_t kMaxStatuses = 10;
constexpr std::size_t kMaxCursor = 100;
constexpr std::int64_t kMaxWaitSeconds = 30;

struct Entry {
  std::string agent_id, api_key;
};

// agents[i].<key>: a non-empty string of at most `max_chars` characters. The
// value is never quoted back: it may be a key.
std::string entry_string(const Json& entry, std::size_t index, const char* key, std::size_t max_chars) {
  const std::string name = "agents[" + std::to_string(index) + "]." + key;
  const Json* value = field(entry, key);
  if (!value) fail(400, name + " is required");
  if (!value->is_string()) fail(400, name + " must be a string");
  const auto& text = value->get_ref<const std::string&>();
  if (text.empty()) fail(400, name + " is required");
  if (utf8_length(text) > max_chars) fail(400, name + " must be at most " + std::to_string(max_chars) + " characters");
  return text;
}

std::vector<Entry> read_agents(const Json& body) {
  const Json* agents = field(body, "agents");
  if (!agents) fail(400, "agents is required: a list of {\"agent_id\", \"api_key\"} objects");
  if (!agents->is_array()) fail(400, "agents must be an array of {\"agent_id\", \"api_key\"} objects");
  if (agents->empty()) fail(400, "agents must hold at least 1 agent");
  if (agents->size() > kMaxAgents)
    fail(400, "agents must hold at most " + std::to_string(kMaxAgents) + " agents (" + std::to_string(agents->size()) +
                  " sent): split them over several waits");
  std::vector<Entry> entries;
  entries.reserve(agents->size());
  for (std::size_t i = 0; i < agents->size(); ++i) {
    const Json& entry = (*agents)[i];
    if (!entry.is_object()) fail(400, "agents[" + std::to_string(i) + "] must be an object with agent_id and api_key");
    entries.push_back(
        {entry_string(entry, i, "agent_id", limits::kId), entry_string(entry, i, "api_key", limits::kApiKey)});
  }
  return entries;
}

// "pending,revision_requested": known statuses, at most kMaxStatuses, each
// once; empty items between commas are skipped.
std::vector<std::string> read_statuses(const Json& body) {
  auto text = optional_string(body, "status");
  if (!text) return {"pending"};
  std::vector<std::string> statuses;
  std::size_t listed = 0;
  for (std::size_t start = 0; start < text->size();) {
    const std::size_t comma = std::min(text->find(',', start), text->size());
    std::string one = text->substr(start, comma - start);
    start = comma + 1;
    if (one.empty()) continue;
    if (++listed > kMaxStatuses) fail(400, "status must list at most " + std::to_string(kMaxStatuses) + " statuses");
    if (!is_known_status(one))
      fail(400, "status lists \"" + one.substr(0, 40) +
                    "\", which is not an order status (pending, accepted, rejected, cancelled, in_progress, "
                    "delivered, completed, disputed, revision_requested, resolved)");
    if (std::find(statuses.begin(), statuses.end(), one) == statuses.end()) statuses.push_back(std::move(one));
  }
  if (statuses.empty()) fail(400, "status must list at least one order status, e.g. \"pending\"");
  return statuses;
}

}  // namespace

struct Api::MultiWaiter {
  std::atomic<bool> done{false};
  http::Reply reply;
  std::vector<std::string> agents;  // those served, each once, in the request's order
  std::string role;                 // "seller" or "buyer"
  OrderSide side = OrderSide::Seller;
  std::vector<std::string> statuses;
  Json refused = Json::array();
  // Events up to here are answered or left these agents without orders;
  // only raised.
  std::atomic<std::uint64_t> since{0};

  std::size_t side_index() const { return side == OrderSide::Seller ? 0 : 1; }
};

namespace {

// {"agent_id", "orders"} for each of `agents` (in order) with orders in the
// wait's statuses on its side.
Json ready_agents(Store& store, const Api::MultiWaiter& waiter, const std::vector<std::string>& agents) {
  Json ready = Json::array();
  if (agents.empty()) return ready;
  auto counts = store.order_counts(agents, waiter.role, waiter.statuses);
  for (const auto& agent : agents)
    if (auto it = counts.find(agent); it != counts.end() && it->second > 0)
      ready.push_back({{"agent_id", agent}, {"orders", it->second}});
  return ready;
}

http::Response wait_response(Json ready, std::string cursor, const Json& refused) {
  return json_response({{"ready", std::move(ready)}, {"cursor", std::move(cursor)}, {"refused", refused}});
}

}  // namespace

http::Response Api::multi_wait(const http::Request& request, http::Reply& reply, bool& parked) {
  // Every agent's key is in the body; an X-API-Key header plays no part.
  const Json body = parse_body(request);
  const std::vector<Entry> entries = read_agents(body);
  auto waiter = std::make_shared<MultiWaiter>();
  waiter->statuses = read_statuses(body);
  waiter->role = optional_string(body, "role").value_or("seller");
  if (waiter->role != "seller" && waiter->role != "buyer") fail(400, "role must be seller or buyer");
  waiter->side = waiter->role == "seller" ? OrderSide::Seller : OrderSide::Buyer;
  const auto wait =
      std::min<std::int64_t>(optional_count(body, "wait", 0, kMaxWaitSeconds).value_or(0), options_.max_wait.count());
  const auto cursor = bounded_string(body, "cursor", kMaxCursor);

  // An agent is served when one of its entries carries its own key; a key of
  // another agent counts as no key at all.
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const auto& entry : entries) keys.push_back(entry.api_key);
  const auto owners = store_.agents_for_keys(keys);
  std::vector<std::string> listed;
  std::unordered_map<std::string, bool> served;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto [it, inserted] = served.try_emplace(entries[i].agent_id, false);
    if (inserted) listed.push_back(entries[i].agent_id);
    if (owners[i] && *owners[i] == entries[i].agent_id) it->second = true;
  }
  for (const auto& agent : listed) {
    if (served[agent])
      waiter->agents.push_back(agent);
    else
      waiter->refused.push_back({{"agent_id", agent}, {"error", "Invalid API key"}});
  }
  if (waiter->agents.empty()) fail(401, "Invalid API key");

  const std::optional<std::uint64_t> since = cursor ? events_.parse_cursor(*cursor) : std::nullopt;
  const bool can_park = wait > 0 && scheduler_;
  if (since) {
    waiter->since = *since;
    if (!can_park) return *multi_wait_answer(*waiter, true);
  } else {
    // No cursor of ours: everything there is. The sequence is read before
    // the query, so an event that races it is after the cursor handed out.
    const std::uint64_t now = events_.now();
    Json ready = ready_agents(store_, *waiter, waiter->agents);
    if (!ready.empty() || !can_park) return wait_response(std::move(ready), events_.cursor(now), waiter->refused);
    waiter->since = now;
  }
  waiter->reply = std::move(reply);
  if (!park_multi(waiter, std::chrono::seconds(wait))) {
    reply = std::move(waiter->reply);
    return *multi_wait_answer(*waiter, true);
  }
  parked = true;
  // Events between the answer above (or the cursor) and the parking.
  check_multi(waiter, false);
  return {};
}

std::optional<http::Response> Api::multi_wait_answer(MultiWaiter& waiter, bool final) {
  const std::uint64_t now = events_.now();
  const std::uint64_t since = waiter.since.load();
  Json ready = ready_agents(store_, waiter, events_.changed_since(waiter.agents, waiter.side, since));
  if (ready.empty() && !final) {
    // Every event up to `now` left these agents without orders: later checks
    // need not count them again.
    for (auto seen = since; seen < now && !waiter.since.compare_exchange_weak(seen, now);) {
    }
    return std::nullopt;
  }
  return wait_response(std::move(ready), events_.cursor(now), waiter.refused);
}

bool Api::park_multi(const std::shared_ptr<MultiWaiter>& waiter, std::chrono::seconds wait) {
  {
    std::lock_guard lock(waiters_mutex_);
    if (shutting_down_) return false;
    for (const auto& agent : waiter->agents) multi_waiters_[waiter->side_index()].emplace(agent, waiter);
    multi_parked_.insert(waiter);
  }
  api_logger()->debug("multi-agent wait parked for {} agent(s) (up to {} s)", waiter->agents.size(), wait.count());
  std::weak_ptr<MultiWaiter> weak = waiter;
  scheduler_(wait, [this, weak] {
    reads_.post([this, weak] {
      if (auto w = weak.lock()) check_multi(w, true);
    });
  });
  return true;
}

void Api::check_multi(const std::shared_ptr<MultiWaiter>& waiter, bool final) {
  if (waiter->done.load()) return;
  std::optional<http::Response> response;
  try {
    response = multi_wait_answer(*waiter, final);
  } catch (const std::exception& e) {
    api_logger()->error("multi-agent wait query failed: {}", e.what());
    // A wake-up that fails leaves the wait to its deadline.
    if (final) response = error_response(500, "Internal server error");
  }
  if (!response) return;
  if (!final) api_logger()->debug("multi-agent wait for {} agent(s) woken by an order", waiter->agents.size());
  finish_multi(waiter, std::move(*response));
}

void Api::finish_multi(const std::shared_ptr<MultiWaiter>& waiter, http::Response response) {
  {
    std::lock_guard lock(waiters_mutex_);
    auto& by_agent = multi_waiters_[waiter->side_index()];
    for (const auto& agent : waiter->agents) {
      auto [first, last] = by_agent.equal_range(agent);
      for (auto it = first; it != last; ++it) {
        if (it->second == waiter) {
          by_agent.erase(it);
          break;
        }
      }
    }
    multi_parked_.erase(waiter);
  }
  if (waiter->done.exchange(true)) return;
  add_cors_headers(response);
  waiter->reply(std::move(response));
}

}  // namespace gigent::server
