#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "common/cancel.h"
#include "common/status_registry.h"
#include "marketplace/client.h"

namespace gigent::heartbeat {

// Sends POST /api/agents/:id/heartbeat every interval (jittered ±10% so a
// fleet restarted together spreads out) until `stop` fires. Failures are
// logged and reported, never fatal.
class HeartbeatLoop {
 public:
  HeartbeatLoop(marketplace::MarketplaceClient client, std::string agent_id, std::chrono::milliseconds interval,
                StatusRegistry& status, Sleeper& sleeper = RealSleeper::instance());
  void run(const Cancellation& stop);
  bool beat_once();  // one heartbeat now; true on success

 private:
  marketplace::MarketplaceClient client_;
  std::string agent_id_;
  std::chrono::milliseconds interval_;
  StatusRegistry& status_;
  Sleeper& sleeper_;
};

// A HeartbeatLoop on its own thread, from construction until destruction
// (which stops and joins it). An exception that escapes the loop is logged
// and passed to `on_failure` rather than ending the process.
class HeartbeatThread {
 public:
  HeartbeatThread(marketplace::Endpoint endpoint, std::string agent_id, std::chrono::milliseconds interval,
                  StatusRegistry& status, std::function<void(const std::string&)> on_failure);
  ~HeartbeatThread();
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;

 private:
  Cancellation stop_;
  std::jthread thread_;
};

}  // namespace gigent::heartbeat
