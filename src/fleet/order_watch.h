#pragma once
// Order pickup for every agent of the process that talks to one backend:
// one request waits for all their orders at once (gigent-server's
// multi_agent_wait, docs/api.md), instead of a long-poll connection and a
// thread per agent. An agent named in the answer gets a pass over its order
// list. Without the extension (the deployed service) the fleet polls each
// agent instead.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status_registry.h"
#include "fleet/fleet_agent.h"

namespace gigent::fleet {

class OrderWatch {
 public:
  // The statuses a wait wakes for: new orders, revision requests, and orders
  // accepted by hand (the reconcile finds those).
  static constexpr const char* kStatuses = "pending,revision_requested,accepted";
  static constexpr int kWaitSeconds = 25;

  struct Hooks {
    // The online agents of this backend to wait for now.
    std::function<std::vector<std::shared_ptr<FleetAgent>>()> members;
    // The server has no multi_agent_wait (anymore): poll every agent.
    std::function<void()> unsupported;
    // This agent's key was refused and re-reading its credentials did not
    // help: poll it on its own (its own requests report the 401).
    std::function<void(const std::shared_ptr<FleetAgent>&)> refused;
  };

  OrderWatch(std::string backend_url, Hooks hooks, StatusRegistry& status);
  // Until `shutdown` fires or the server turns out not to offer the wait.
  void run(const Cancellation& shutdown);
  // The set of agents changed: the parked wait is cut short and asked again
  // (after a short pause that gathers a burst of changes) with the new set.
  void members_changed();

 private:
  // One wait; false when the loop must end.
  bool wait_once(const Cancellation& shutdown);
  void handle_answer(const nlohmann::json& body, const std::vector<std::shared_ptr<FleetAgent>>& agents);

  std::string backend_url_;
  Hooks hooks_;
  StatusRegistry& status_;
  std::string cursor_;
  int failures_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_cv_;
  bool changed_ = false;
  std::shared_ptr<Cancellation> current_;  // the wait in flight, cut short by members_changed()
};

}  // namespace gigent::fleet
