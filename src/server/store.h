#pragma once
// The marketplace's store, on SQLite (--db FILE: WAL mode, one process) or
// PostgreSQL (--db postgresql://...: any number of processes on one
// database). One connection per concurrent user from a small pool, every
// statement prepared once per connection and reused. Writers are serialised
// in-process, so SQLite's busy handler (which sleeps) is only ever reached by
// another process holding the file; what differs between the two databases is
// in store_engine.h, and the queries here are written once for both.
//
// Rows come back as JSON objects with every column in table order, numbers as
// numbers, booleans as 0/1, and JSON-in-text fields as text, which is
// how the deployed service answers.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/connection.h"
#include "server/store_engine.h"

namespace gigent::server {

struct NewAgent {
  std::string name;
  std::optional<std::string> description;
  std::string category;     // empty: "general", the deployed service's default
  std::string tags = "[]";  // JSON text
  std::optional<std::string> avatar_url;
  std::string owner_wallet;
};

struct Registration {
  Json agent;           // the row without api_key_hash, plus api_key
  std::string api_key;  // shown once
};

struct AgentFilter {
  std::string category, search, status, sort, owner_wallet;
  int limit = 20;
  int offset = 0;
};

struct GigFilter {
  std::string agent_id, category, subcategory, search, sort;
  std::optional<double> min_price, max_price;
  int limit = 20;
  int offset = 0;
};

struct OrderFilter {
  std::string agent_id;
  std::string role;                   // "seller", "buyer" or empty (either side)
  std::vector<std::string> statuses;  // any of these; empty: every status
  int limit = 20;
  int offset = 0;
};

struct NewOrder {
  std::string gig_id, buyer_id, tier = "basic", brief;
  std::optional<std::string> input_data;  // JSON text
};

struct OrderPlacement {
  enum class Outcome { Created, GigNotFound, BuyerNotFound, OwnGig, TierUnavailable } outcome;
  Json order;
};

struct TransitionResult {
  // RevisionsUsedUp: delivered → revision_requested once revisions_used has
  // reached max_revisions (`order` then holds those two counts).
  enum class Outcome { Done, NotFound, Invalid, RevisionsUsedUp } outcome;
  std::string current_status;  // the status seen when the change was refused
  Json order;                  // the bare row after the change
};

struct NewReview {
  std::string order_id, reviewer_id;
  int rating = 0;
  std::optional<std::string> comment;
  std::optional<int> quality, speed, value;
};

struct ReviewResult {
  enum class Outcome { Created, OrderNotFound, NotBuyer, NotCompleted, AlreadyReviewed } outcome;
  Json review;
};

// Which reviews a list holds: every one, a seller's (reviewed_id), or a gig's.
enum class ReviewScope { All, OfSeller, OfGig };

struct NewSubmission {
  std::string sender_id, receiver_id, title, payload_type = "text";
  std::optional<std::string> order_id, description, payload;
};

struct SubmissionFilter {
  std::string agent_id, role, status,
      order_id;  // role: "sender", "receiver" or empty (either)
  int limit = 50;
  int offset = 0;
};

struct SubmissionResult {
  enum class Outcome {
    Created,
    SenderNotFound,
    ReceiverNotFound,
    OrderNotFound,
    NotFound,
    NotReceiver,
    AlreadyReviewed
  } outcome;
  Json submission;  // with sender_name, receiver_name when created
};

class Store {
 public:
  // Opens (creating if needed) the database, its schema and indexes, and
  // migrates an older database. `path` is a SQLite file or a postgresql://
  // URL. Throws StoreError with the reason.
  explicit Store(std::string path, std::size_t max_idle_connections = 8);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Lease connection();
  // Runs `body` inside BEGIN IMMEDIATE/COMMIT with the process-wide writer lock
  // held; rolls back and rethrows if it throws.
  void write(const std::function<void(Connection&)>& body);
  // Bumped after every write() commits (heartbeats excepted: they touch only
  // last_seen), and, on PostgreSQL, when another process reports a write. A
  // result computed after reading generation g is current for as long as
  // generation() is still g (on PostgreSQL: plus the few milliseconds another
  // process's NOTIFY takes to arrive).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Cross-process long-poll wake-ups (PostgreSQL; a no-op on SQLite):
  // announce_orders tells the other processes that these agents' orders
  // changed, each changed order's seller then its buyer (multi-agent waits
  // tell the two sides apart by that order); `listener` is called (on the
  // store's listener thread) with the agents another process announced, in
  // the same order. Pass nullptr to stop listening.
  void announce_orders(const std::vector<std::string>& agent_ids);
  void set_order_listener(std::function<void(const std::vector<std::string>&)> listener);
  // Called (on the listener thread) when announcements may have been lost: the
  // listener's connection was lost and is back. Pass nullptr to stop.
  void set_missed_listener(std::function<void()> listener);
  bool is_postgres() const { return postgres_; }
  std::int64_t database_size_bytes();

  Json stats();

  // Agents.
  Registration register_agent(const NewAgent& agent);
  // The agent that owns this key, or nullopt. Hits are cached until the
  // agent's key is rotated (here, or by another process on PostgreSQL: it
  // announces the rotation).
  std::optional<std::string> agent_for_key(const std::string& api_key);
  // agent_for_key for many keys at once: cache hits first, then one query for
  // the rest (per 1,024 keys). The answers are in the order of `api_keys`.
  std::vector<std::optional<std::string>> agents_for_keys(const std::vector<std::string>& api_keys);
  std::optional<Json> agent(const std::string& id);  // no api_key_hash, with is_online
  bool agent_exists(const std::string& id);
  // Sets last_seen to now; nullopt when the agent is unknown.
  std::optional<std::string> heartbeat(const std::string& id);
  Json list_agents(const AgentFilter& filter);  // {"agents": [...], "total": n}
  // `fields`: validated values of name, description, category, tags,
  // avatar_url, status.
  std::optional<Json> update_agent(const std::string& id, const Json& fields);
  // A new key for the agent; the old one is refused from the moment this
  // returns.
  std::optional<std::string> rotate_key(const std::string& id);
  std::vector<Json> reviews_for(const std::string& agent_id,
                                int limit);  // as seller, with reviewer_name
  std::vector<Json> reviews_of_gig(const std::string& gig_id,
                                   int limit);  // with reviewer_name

  // Gigs.
  std::optional<Json> gig(const std::string& id);
  std::vector<Json> gigs_of(const std::string& agent_id, bool active_only);
  Json list_gigs(const GigFilter& filter);  // {"gigs": [...], "total": n}
  // `fields` holds validated column values; agent_id must exist.
  Json create_gig(const Json& fields);
  std::optional<Json> update_gig(const std::string& id, const Json& fields);

  // Orders.
  std::optional<Json> order(const std::string& id);             // bare row
  std::optional<Json> order_with_names(const std::string& id);  // + gig_title, buyer_name, seller_name
  std::vector<Json> list_orders(const OrderFilter& filter);     // newest first, with names
  std::string list_orders_json(const OrderFilter& filter);      // the same rows as JSON array text
  // How many orders each of `agent_ids` has on `side` ("seller" or "buyer")
  // in any of `statuses`: one grouped query (per 1,024 agents). Agents without
  // any are left out.
  std::unordered_map<std::string, std::int64_t> order_counts(const std::vector<std::string>& agent_ids,
                                                             const std::string& side,
                                                             const std::vector<std::string>& statuses);
  OrderPlacement place_order(const NewOrder& order);
  // Moves the order from `expected_from` to `to` only if it is still there, so
  // two racing writers cannot both win.
  TransitionResult transition(const std::string& order_id, const std::string& expected_from, const std::string& to);
  TransitionResult deliver(const std::string& order_id, const std::string& delivery_data,
                           const std::string& delivery_hash);

  // Messages and categories.
  std::vector<Json> messages(const std::string& order_id);
  Json add_message(const std::string& order_id, const std::string& sender_id, const std::string& content,
                   const std::string& message_type);
  std::vector<Json> categories();

  // Reviews. add_review checks the order (exists, reviewer is its buyer,
  // completed, not yet reviewed) and recomputes the seller's and the gig's
  // rating_avg / rating_count in the same transaction.
  ReviewResult add_review(const NewReview& review);
  // Newest first, with reviewer_name (and gig_title except for OfGig).
  std::vector<Json> list_reviews(ReviewScope scope, const std::string& id, int limit);

  // Work submissions.
  SubmissionResult add_submission(const NewSubmission& submission);
  std::optional<Json> submission(const std::string& id);  // with sender_name, receiver_name
  Json list_submissions(const SubmissionFilter& filter);  // {"submissions", "total", "limit", "offset"}
  // Scores it (receiver only, once); a linked order without a review also
  // gets one of round(score / 20) stars, clamped to 1-5.
  SubmissionResult review_submission(const std::string& id, const std::string& reviewer_id, int score,
                                     const std::optional<std::string>& comment);
  std::vector<Json> inbox(const std::string& agent_id);  // pending submissions to it
  std::vector<Json> sent(const std::string& agent_id);

  // Marketplace views (see the contract's GET /api/marketplace/*).
  Json featured();
  Json search(const std::string& query);
  Json marketplace_stats();

  const std::string& path() const { return path_; }

 private:
  friend class Lease;
  void give_back(std::unique_ptr<Connection> conn);
  static std::string orders_sql(const OrderFilter& filter, std::vector<Json>& params);
  void remote_orders(const std::vector<std::string>& agent_ids);
  void remote_missed();
  // Drops the cached keys of the agent (its key was rotated); call with
  // key_cache_mutex_ not held.
  void forget_keys_of(const std::string& agent_id);
  void drop_cached_keys(const std::string& agent_id);  // key_cache_mutex_ held

  std::string path_;
  bool postgres_;
  std::unique_ptr<StoreEngine> engine_;
  std::size_t max_idle_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::mutex write_mutex_;
  std::atomic<std::uint64_t> generation_{0};
  std::mutex listener_mutex_;
  std::function<void(const std::vector<std::string>&)> order_listener_;
  std::function<void()> missed_listener_;
  std::shared_mutex key_cache_mutex_;
  std::unordered_map<std::string, std::string> key_cache_;  // sha256(key) -> agent id
  // Bumped (under key_cache_mutex_) by every rotation: a lookup that read the
  // database before a rotation must not cache what it read.
  std::uint64_t key_epoch_ = 0;
};

// "0x" + 40 hex: derived from the agent id, clearly not a funded wallet.
std::string wallet_address_for(const std::string& agent_id);

// ISO-8601 UTC with milliseconds and Z, `hours` from now (JavaScript's
// toISOString).
std::string iso_deadline_from_now(double hours);

}  // namespace gigent::server
