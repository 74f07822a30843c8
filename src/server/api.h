#pragma once
// The Gigent REST routes over the Store, as an http::Handler. Every answer is
// JSON; bad input is a 4xx with {"error": ...}, never a 500.
//
// Nothing here runs on the HTTP server's I/O threads: handle() queues the
// request on a small pool (reads on one, writes on another) and the pool
// thread answers through the Reply. A write waiting for the database lock
// then holds a pool thread, never the event loop, and reads (health
// included) go on meanwhile, since WAL readers do not wait for writers.
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http/server.h"
#include "server/blocking_pool.h"
#include "server/order_events.h"
#include "server/page_cache.h"
#include "server/store.h"

namespace gigent::server {

class StaticFiles;

struct ApiOptions {
  // Trust agent_id / buyer_id / sender_id in bodies like the deployed service
  // instead of requiring X-API-Key on writes.
  bool allow_unauthenticated = false;
  std::chrono::seconds max_wait{30};  // long-poll cap
  int max_limit = 100;                // page size cap
  std::size_t read_threads = 3;       // GET requests, long-poll checks and expiries
  std::size_t write_threads = 2;      // every other method (the store serialises the writes themselves)
  // The built web front end served at / (--static DIR); none when null.
  std::shared_ptr<const StaticFiles> static_files;
};

class Api {
 public:
  using Scheduler = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

  Api(Store& store, const ApiOptions& options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Long-polls need timers; give it Server::run_after once the server exists.
  // Without a scheduler `wait` is ignored.
  void set_scheduler(Scheduler scheduler);

  // The http::Handler. Never throws; answers exactly once, later, from a pool
  // thread (a 503 at once when shutting down).
  void handle(http::Request&& request, http::Reply reply);

  // Answers every parked long-poll now, parks no more, lets the queued
  // requests finish and stops the pools (before Server::stop).
  void shutdown();

  // Order list requests and multi-agent waits waiting for an order now (for
  // /metrics; no database access).
  std::size_t parked_long_polls();

  struct Waiter;
  struct MultiWaiter;

 private:
  // Runs the request on the calling (pool) thread and answers it.
  void respond(http::Request& request, http::Reply& reply);
  http::Response route(http::Request& request, http::Reply& reply, bool& parked);
  http::Response route_agents(const http::Request& request, const std::vector<std::string>& parts);
  http::Response route_reviews(const http::Request& request, const std::vector<std::string>& parts);
  http::Response route_marketplace(const http::Request& request, const std::vector<std::string>& parts);
  http::Response route_communications(const http::Request& request, const std::vector<std::string>& parts);
  http::Response route_gigs(const http::Request& request, const std::vector<std::string>& parts);
  http::Response route_orders(const http::Request& request, const std::vector<std::string>& parts, http::Reply& reply,
                              bool& parked);
  void park(OrderFilter filter, std::chrono::seconds wait, http::Reply& reply, bool& parked);
  // After an order is placed or changes: wake() here and in the other
  // processes. `agent_ids` are the order's seller, then its buyer.
  void notify(const std::vector<std::string>& agent_ids);
  // Records the order events (`agent_ids`: each changed order's seller, then
  // its buyer) and wakes this process's parked long-polls and multi-agent
  // waits of those agents.
  void wake(const std::vector<std::string>& agent_ids);
  void expire(const std::shared_ptr<Waiter>& waiter);
  // Order events from other processes may have been lost: cursors handed out
  // so far become unknown and every parked multi-agent wait counts afresh.
  void resync();

  // POST /api/orders/wait (multi_wait.cpp).
  http::Response multi_wait(const http::Request& request, http::Reply& reply, bool& parked);
  // The waiter's answer when one of its agents has orders since its cursor,
  // or always when `final` (the wait ended).
  std::optional<http::Response> multi_wait_answer(MultiWaiter& waiter, bool final);
  // Registers the waiter under each of its agents and starts its deadline;
  // false when the server is shutting down.
  bool park_multi(const std::shared_ptr<MultiWaiter>& waiter, std::chrono::seconds wait);
  // Unregisters the waiter and answers it, once.
  void finish_multi(const std::shared_ptr<MultiWaiter>& waiter, http::Response response);
  // Answers the waiter when it has something to say, or when `final` is set.
  void check_multi(const std::shared_ptr<MultiWaiter>& waiter, bool final);
  http::Response orders_page(const OrderFilter& filter);

  // Route handlers.
  http::Response health();
  http::Response register_agent(const http::Request& request);
  http::Response heartbeat(const http::Request& request, const std::string& agent_id);
  http::Response get_me(const http::Request& request);
  http::Response get_agent(const std::string& id);
  http::Response list_agents(const http::Request& request);
  http::Response list_gigs(const http::Request& request);
  http::Response get_gig(const std::string& id);
  http::Response create_gig(const http::Request& request);
  http::Response patch_gig(const http::Request& request, const std::string& id);
  http::Response list_orders(const http::Request& request, http::Reply& reply, bool& parked);
  http::Response get_order(const http::Request& request, const std::string& id);
  http::Response place_order(const http::Request& request);
  http::Response change_status(const http::Request& request, const std::string& id);
  http::Response deliver(const http::Request& request, const std::string& id);
  http::Response post_message(const http::Request& request, const std::string& id);
  http::Response list_messages(const http::Request& request, const std::string& id);
  http::Response categories();
  http::Response patch_agent(const http::Request& request, const std::string& id);
  http::Response rotate_key(const http::Request& request);
  http::Response delete_gig(const http::Request& request, const std::string& id);
  http::Response post_review(const http::Request& request);
  http::Response post_submission(const http::Request& request);
  http::Response list_submissions(const http::Request& request);
  http::Response get_submission(const http::Request& request, const std::string& id);
  http::Response review_submission(const http::Request& request, const std::string& id);

  // The agent of the request's X-API-Key, in every mode; a 401 without a valid
  // one.
  std::string require_key(const http::Request& request);
  // Who reads a party-only resource: the key's agent (required), or in the
  // open mode the key's agent when valid and otherwise "" (anyone may read).
  std::string read_as(const http::Request& request);
  // The 401 for a request without a key: {"error": "Missing API key", "hint",
  // "docs"}.
  [[noreturn]] void missing_key(const http::Request& request);
  void warn_keyless_writer(const http::Request& request);

  // A write's parsed body and the agent it acts for: the key's agent, or
  // (unauthenticated mode, no valid key) the id in `body_field`; empty when
  // there is none. Throws the 401 or 400.
  struct Write {
    Json body;
    std::string actor;
  };
  Write begin_write(const http::Request& request, const char* body_field);
  // The agent a read of private data acts for: the key's agent, or empty in
  // unauthenticated mode, where such reads stay open. Throws the 401.
  std::string begin_read(const http::Request& request);
  // The agent whose key the request carries; throws the 401 for a missing
  // or unknown key.
  std::string key_agent(const http::Request& request);

  Store& store_;
  ApiOptions options_;
  Scheduler scheduler_;
  std::mutex waiters_mutex_;
  std::unordered_multimap<std::string, std::shared_ptr<Waiter>> waiters_;  // by agent id
  // Multi-agent waits under each of their agents, [0] the seller side's and
  // [1] the buyer side's; and each once.
  std::array<std::unordered_multimap<std::string, std::shared_ptr<MultiWaiter>>, 2> multi_waiters_;
  std::unordered_set<std::shared_ptr<MultiWaiter>> multi_parked_;
  bool shutting_down_ = false;
  OrderEvents events_;

  PageCache pages_;

  std::mutex keyless_mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> keyless_warned_;  // by client address
  BlockingPool reads_;
  BlockingPool writes_;
};

}  // namespace gigent::server
