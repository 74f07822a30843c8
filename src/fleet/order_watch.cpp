#include "fleet/order_watch.h"

#include <map>

#include "common/backoff.h"
#include "common/log.h"
#include "marketplace/client.h"
#include "marketplace/retry.h"

namespace gigent::fleet {

namespace {
constexpr const char* kEntry = "order_watch";
// A burst of agents coming online (the process starting) costs one new wait, not one each.
constexpr std::chrono::milliseconds kGatherChanges{200};
}  // namespace

OrderWatch::OrderWatch(std::string backend_url, Hooks hooks, StatusRegistry& status)
    : backend_url_(std::move(backend_url)), hooks_(std::move(hooks)), status_(status) {}

void OrderWatch::members_changed() {
  std::lock_guard lock(mutex_);
  changed_ = true;
  if (current_) current_->cancel();
  changed_cv_.notify_all();
}

void OrderWatch::run(const Cancellation& shutdown) {
  while (!shutdown.cancelled() && wait_once(shutdown)) {
  }
  status_.set_state(kEntry, "stopped");
}

bool OrderWatch::wait_once(const Cancellation& shutdown) {
  auto log = log::get("order_watch");
  auto agents = hooks_.members();
  auto request_cancel = std::make_shared<Cancellation>();
  {
    std::unique_lock lock(mutex_);
    if (agents.empty()) {
      status_.set_state(kEntry, "no agent online");
      changed_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return changed_; });
      changed_ = false;
      return true;
    }
    changed_ = false;
    current_ = request_cancel;
  }
  nlohmann::json request = {{"status", kStatuses}, {"wait", kWaitSeconds}, {"agents", nlohmann::json::array()}};
  if (!cursor_.empty()) request["cursor"] = cursor_;
  for (const auto& agent : agents)
    request["agents"].push_back({{"agent_id", agent->agent_id()}, {"api_key", agent->api_key()}});
  status_.set_state(kEntry, "waiting for the orders of " + std::to_string(agents.size()) + " agent(s)");
  // No key in a header: each agent's is in the body.
  marketplace::MarketplaceClient client({backend_url_, ""}, request_cancel.get());
  const auto answer = client.wait_for_orders(request);
  {
    std::lock_guard lock(mutex_);
    current_.reset();
  }
  if (shutdown.cancelled()) return false;
  if (answer.cancelled) {  // the set of agents changed
    // A retired agent's lock and journal are released when its last holder
    // lets go: not after this pause.
    agents.clear();
    shutdown.wait_for(kGatherChanges);
    return true;
  }
  if (answer.status == 404 || answer.status == 405) {
    log->warn("{} does not offer the multi-agent wait any more; polling each agent", backend_url_);
    hooks_.unsupported();
    return false;
  }
  if (!answer.ok() || !answer.body.is_object()) {
    const auto before = status_.get(kEntry);
    const std::string error = answer.ok() ? "the answer is not a JSON object" : answer.error;
    status_.record_failure(kEntry, error);
    const auto delay = marketplace::backoff_delay({-1, std::chrono::seconds(1), std::chrono::seconds(30)}, failures_++);
    log->warn(failure_message("waiting for orders", error, delay, before.last_success));
    status_.set_state(kEntry, "backing off");
    if (answer.status == 401) {  // every key refused: each agent re-reads its credentials
      for (const auto& agent : agents) agent->reload_key();
    }
    agents.clear();  // held through the back-off, a retired agent would keep its lock
    return shutdown.wait_for(delay);
  }
  if (failures_ > 0) log->info("waiting for orders works again after {} failure(s)", failures_);
  failures_ = 0;
  status_.record_success(kEntry);
  handle_answer(answer.body, agents);
  return true;
}

void OrderWatch::handle_answer(const nlohmann::json& body, const std::vector<std::shared_ptr<FleetAgent>>& agents) {
  std::map<std::string, std::shared_ptr<FleetAgent>, std::less<>> by_id;
  for (const auto& agent : agents) by_id.emplace(agent->agent_id(), agent);
  cursor_ = marketplace::string_field(body, "cursor");
  if (auto ready = body.find("ready"); ready != body.end() && ready->is_array()) {
    for (const auto& item : *ready) {
      auto found = by_id.find(marketplace::string_field(item, "agent_id"));
      if (found != by_id.end()) found->second->want(FleetAgent::kPass | FleetAgent::kReconcile);
    }
  }
  if (auto refused = body.find("refused"); refused != body.end() && refused->is_array()) {
    for (const auto& item : *refused) {
      auto found = by_id.find(marketplace::string_field(item, "agent_id"));
      if (found == by_id.end()) continue;
      if (found->second->reload_key()) continue;  // rotated: the next wait sends the new key
      const log::AgentScope scope(found->second->name());
      log::get("order_watch")
          ->warn("the server refused this agent's key in the multi-agent wait ({}); polling it on its own",
                 marketplace::string_field(item, "error", "no reason given"));
      hooks_.refused(found->second);
    }
  }
}

}  // namespace gigent::fleet
