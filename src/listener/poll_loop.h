#pragma once
// The poll loop (steps 1-3 of the spec's order loop): read the list of
// orders to take page by page and hand each order to the sink as soon as its
// page arrives, while a worker is free. It alone reports the "poller" entry
// of the status registry.
#include <chrono>
#include <deque>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cancel.h"
#include "common/status_registry.h"
#include "listener/poller.h"
#include "marketplace/client.h"

namespace gigent::listener {

// What the loop hands orders to; the engine implements it with the journal,
// the claim and the worker pool.
class OrderSink {
 public:
  virtual ~OrderSink() = default;
  enum class Taken {
    Yes,   // claimed and handed to a worker
    No,    // skipped: in flight, given up, or another party took it
    Pause  // stop taking orders until the next pass (the journal cannot be written)
  };
  // Returns when a worker is free or `stop` fired.
  virtual void wait_for_free_worker(const Cancellation& stop) = 0;
  virtual bool has_free_worker() = 0;
  virtual Taken take(const nlohmann::json& order) = 0;
  // Run between pages every PollOptions::housekeeping_interval (the engine
  // reconciles its journal with the backend), and at the next free worker,
  // before any new order is taken, whenever housekeeping_due().
  virtual void housekeeping() {}
  virtual bool housekeeping_due() { return false; }
};

struct PollOptions {
  std::string order_status = "pending";
  // More statuses to take (e.g. revision_requested). Asked together in one
  // list (`status=a,b`) when `status_lists` (the server lists the
  // "order_status_list" feature), else one status per pass in turn.
  std::vector<std::string> more_statuses;
  bool status_lists = false;
  std::chrono::milliseconds interval{5000};  // between passes that found nothing to take
  int long_poll_seconds = 0;                 // > 0: the server holds the first page until an order exists
  std::chrono::milliseconds housekeeping_interval{15000};
};

class PollLoop {
 public:
  static constexpr const char* kStatusEntry = "poller";

  PollLoop(marketplace::MarketplaceClient& client, std::string agent_id, OrderSink& sink, StatusRegistry& status,
           PollOptions options);
  // Until `shutdown` fires.
  void run(const Cancellation& shutdown);

 private:
  enum class Step { Continue, Stop };
  // Tells /healthz the loop is at work and how long its next step may take.
  void expect_step(std::chrono::milliseconds step);
  void maybe_housekeeping();
  Step start_pass(const Cancellation& shutdown);
  Step fetch_page(const Cancellation& shutdown);
  Step take_listed(const Cancellation& shutdown);
  void report_unreadable(const std::vector<std::string>& unreadable);
  // The `status` filter of the next pass.
  std::string next_pass_status();

  marketplace::MarketplaceClient& client_;
  std::string agent_id_;
  OrderSink& sink_;
  StatusRegistry& status_;
  PollOptions options_;
  std::unique_ptr<OrderPages> pages_;
  int page_limit_ = OrderPages::kMaxPage;  // what fit last pass
  std::deque<nlohmann::json> listed_;      // of the current page, not taken yet
  int taken_since_page_ = 0;
  int pass_listed_ = 0;
  int pass_taken_ = 0;
  int failures_ = 0;
  std::vector<std::string> pass_unreadable_;
  std::vector<std::string> previous_unreadable_;
  std::set<std::string> logged_unreadable_;  // each logged once, not every pass
  std::chrono::steady_clock::time_point last_housekeeping_;
  std::size_t passes_ = 0;
};

// Orders by deadline, earliest first (ISO-8601 text compares in time order);
// those without one keep their order after the rest. Workers take the most
// urgent order first when more are listed than workers are free.
void sort_by_deadline(std::vector<nlohmann::json>& orders);

}  // namespace gigent::listener
