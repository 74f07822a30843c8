#pragma once
// Steps 1-2 of the order loop: read the seller's orders in one status, page
// by page (the TypeScript runtime read only the 20 newest of any status).
// This is the fetcher only: it reports nothing; the poll loop (poll_loop.h)
// decides what a failure means and reports it.
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "marketplace/client.h"

namespace gigent::listener {

struct PollResult {
  bool ok = false;
  std::string error;
  std::vector<nlohmann::json> orders;   // oldest first; each an object with a string "id"
  std::vector<std::string> unreadable;  // rows skipped because they cannot be read: which and why
};

// One pass over an order list, one page per next(). A page larger than the
// client's size limit is asked again in smaller pages, down to single rows; a
// single row still too large, or a row that is not an order, is skipped and
// described in `unreadable`, so one bad order never blocks the others.
class OrderPages {
 public:
  static constexpr int kMaxPage = 100;
  // wait_seconds > 0 asks the server to hold the first page until an order exists.
  OrderPages(marketplace::MarketplaceClient& client, std::string agent_id, std::string order_status, int wait_seconds,
             int page_limit = kMaxPage);
  // The next page, oldest first. `taken`: orders of earlier pages that left
  // this status since (the caller accepted them); the list shrank by that
  // much, so the next page starts that much earlier instead of skipping rows.
  // On failure (ok false) the same page is asked again by the next call.
  PollResult next(int taken = 0);
  bool done() const { return done_; }
  // The page size that fit last: a caller may start its next pass with it.
  int page_limit() const { return limit_; }

 private:
  void read_rows(const nlohmann::json& rows, PollResult& out);
  marketplace::MarketplaceClient& client_;
  std::string agent_id_;
  std::string status_;
  int wait_seconds_;
  int limit_;
  int offset_ = 0;
  bool first_ = true;
  bool done_ = false;
  std::unordered_set<std::string> seen_;  // rows shift between pages while orders arrive
  std::vector<std::string> statuses_;     // status_ split at commas: the statuses a row may have
};

class Poller {
 public:
  Poller(marketplace::MarketplaceClient& client, std::string agent_id);
  // Every page of one status, oldest first.
  PollResult fetch(const std::string& order_status, int wait_seconds = 0);
  // Does the backend advertise the long-poll extension in /api/health?
  bool server_supports_long_poll();
  // Is `feature` listed under "features" in /api/health?
  bool server_has_feature(const std::string& feature);

 private:
  marketplace::MarketplaceClient& client_;
  std::string agent_id_;
};

}  // namespace gigent::listener
