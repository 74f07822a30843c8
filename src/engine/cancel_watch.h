#pragma once
// While an order's LLM call runs, its buyer may cancel it. A CancelWatch
// reads the order's status on the backend every few seconds (one GET of the
// order, on its own connection) and fires the call's Cancellation when the
// order was cancelled (or rejected), so the paid call is aborted rather than
// run to its end. The daemon's hard stop fires it too, as before.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "common/cancel.h"
#include "marketplace/client.h"

namespace gigent::engine {

// How often a running call's order is read back: "within a few seconds" for
// the buyer, one small request per call and interval for the backend.
inline constexpr std::chrono::seconds kCancelCheckInterval{3};

class CancelWatch {
 public:
  CancelWatch(marketplace::Endpoint endpoint, std::string order_id, const Cancellation& hard_stop,
              std::chrono::milliseconds interval = kCancelCheckInterval);
  ~CancelWatch();  // stops watching and joins
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

  // The Cancellation to hand the LLM call.
  const Cancellation& token() const { return call_; }
  // True when the order was found cancelled (or rejected) on the backend.
  bool buyer_cancelled() const { return buyer_cancelled_.load(); }
  // The status the backend reported when it closed the order.
  std::string closed_status() const;

 private:
  void run(marketplace::Endpoint endpoint);
  bool check(marketplace::MarketplaceClient& client);

  std::string order_id_;
  const Cancellation& hard_stop_;
  std::chrono::milliseconds interval_;
  Cancellation call_;      // fired for the buyer's cancellation or the hard stop
  Cancellation stopping_;  // the call is over: stop watching
  std::atomic<bool> buyer_cancelled_{false};
  mutable std::mutex mutex_;
  std::string closed_status_;
  std::thread thread_;
};

}  // namespace gigent::engine
