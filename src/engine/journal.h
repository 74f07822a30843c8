#pragma once
// The runtime's local memory of each order it touched, in an SQLite file next
// to the config (.gigent-journal.db). Every step is durable before the next
// backend call, so a crash at any point resumes without losing the LLM's work
// or calling it twice.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "sqlite/statement.h"

namespace gigent::engine {

enum class JobState {
  Claimed,           // picked from the pending list, accept not yet confirmed
  Started,           // accepted and in_progress on the backend
  ResultReady,       // the LLM answered; delivery_data saved, not yet delivered
  AwaitingDelivery,  // auto_deliver is off: kept for the operator
  Delivered,         // done
  Failed,            // last attempt failed; retried after next_attempt_at
  Poison,            // gave up: non-retryable, or too many attempts
  Closed,            // the backend closed it (cancelled, completed elsewhere)
  Cancelled,         // the buyer cancelled it while the LLM worked on it: the call was aborted, nothing delivered
};

std::string to_string(JobState s);
std::optional<JobState> parse_job_state(const std::string& s);

struct JobRecord {
  std::string order_id;
  JobState state = JobState::Claimed;
  int attempts = 0;           // LLM attempts that failed
  std::string delivery_data;  // JSON text, when ResultReady and later
  long long input_tokens = 0;
  long long output_tokens = 0;
  std::string last_error;
  long long next_attempt_at = 0;  // unix seconds
  std::string updated_at;         // "YYYY-MM-DD HH:MM:SS" UTC
  int owner_pid = 0;              // the process that wrote it last (put() sets it)
  // That process's identity beyond its pid: "<boot id>:<start time in clock
  // ticks>" from /proc, so a pid the kernel reused for another process never
  // makes a dead owner look alive. Empty in journals written before it existed.
  std::string owner_start;
  // `gigent-runtime regenerate --note`: the operator's words for the next LLM
  // call of this order, added to its prompt; cleared once a result is saved.
  std::string operator_note;
  // "provider/model" that produced delivery_data ("anthropic/claude-sonnet-4-5"),
  // a fallback's when the primary failed. Empty before an answer.
  std::string answered_by;
  // Which piece of work the record is on: 0 the order itself, n its n-th
  // revision. Each round is its own step: begun once (Journal::begin_round),
  // run once, delivered once.
  int round = 0;
};

// One LLM call's usage, as the provider reported it, kept so that a restart
// still knows what the day and each order have spent (engine/budget.h).
struct UsageRow {
  std::string order_id;
  std::string day;   // UTC "YYYY-MM-DD" of the budget's clock when the answer came
  long long at = 0;  // unix seconds, same clock
  long long input_tokens = 0;
  long long output_tokens = 0;
  double cost_usd = 0;  // at the prices configured then; 0 when none were
  std::string provider;
  std::string model;
};

struct UsageTotals {
  long long input_tokens = 0;
  long long output_tokens = 0;
  double cost_usd = 0;
  long long calls = 0;
  long long tokens() const { return input_tokens + output_tokens; }
};

// "<boot id>:<start time>" of process `pid`, or "" when it does not exist (or
// /proc cannot tell).
std::string process_start_token(int pid);

// True when `record` was last written by this very process.
bool owned_by_this_process(const JobRecord& record);

// True when `record` was last written by another process that is still
// alive: with replicas sharing one journal, that replica is working on it.
bool held_by_another_live_process(const JobRecord& record);

class JournalError : public std::runtime_error {
 public:
  // `complete`: the message already says what to do (a corrupt file, a
  // symbolic link), so callers add no generic advice of their own.
  explicit JournalError(const std::string& message, bool complete = false)
      : std::runtime_error(message), complete_(complete) {}
  bool complete() const { return complete_; }

 private:
  bool complete_;
};

class Journal {
 public:
  // Opens or creates the file; throws JournalError naming the path and the reason.
  explicit Journal(const std::string& path);
  // For a process holding many journals (one per agent): SQLite's default
  // lookaside arena (~120 KB) and first page-cache block (~87 KB) per
  // connection outweigh what a journal uses. Call before SQLite is used.
  static void prefer_small_memory();
  // Gives back what the connection caches (prepared statements, pages): an
  // idle agent's journal then holds only its open connection. The next use
  // prepares again (tens of microseconds).
  void release_memory();
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // The stored record, or nullopt when there is none. A read that fails
  // throws JournalError: an error must never look like "no record", which
  // would start the order again and pay for it twice.
  std::optional<JobRecord> get(const std::string& order_id);
  // The stored record, or a new one in state Claimed (not stored until put()). Throws JournalError.
  JobRecord get_or_new(const std::string& order_id);
  // Inserts or replaces the whole record (durable when it returns). Throws JournalError.
  void put(const JobRecord& record);
  // Inserts only when the order has no record yet; false when it had one
  // (another replica claimed it first). Throws JournalError.
  bool create(const JobRecord& record);
  void forget(const std::string& order_id);
  // Forgets the record only if this process wrote it last.
  void forget_if_ours(const std::string& order_id);
  // Makes this process the owner of a record last written by `seen`'s owner,
  // only if nobody else changed the owner since `seen` was read: one
  // conditional UPDATE, which SQLite runs atomically across processes, so of
  // two replicas taking over a dead owner's order exactly one gets true.
  // Throws JournalError.
  bool take_over(const JobRecord& seen);
  // Starts revision `round` of an order whose round `round - 1` is
  // delivered: one conditional UPDATE, so of two processes (or two looks at
  // a stale list) exactly one begins the round. The record becomes Claimed
  // with no result. False when the record is not at that point. Throws JournalError.
  bool begin_round(const std::string& order_id, int round);
  // Every record in one of `states`; a failed read throws JournalError, never
  // returns a partial list.
  std::vector<JobRecord> in_states(const std::vector<JobState>& states);
  // One small durable write, for /healthz: throws JournalError when the
  // journal cannot be written now (full disk, read-only file system).
  void probe_write();
  // Appends one call's usage (durable when it returns). Called once per
  // answer received, before the answer's result is recorded: a crash between
  // the two costs a second call, which is then counted too, as it was paid.
  // Throws JournalError.
  void record_usage(const UsageRow& row);
  // Sums over every call of one order (retries and revisions included), or
  // over every call of one UTC day. Throws JournalError.
  UsageTotals usage_of_order(const std::string& order_id);
  UsageTotals usage_on_day(const std::string& day);
  // usage_on_day() for a reader that must not write: the file is opened
  // immutable, so no -wal or -shm file is created (they would belong to
  // whoever runs `status`, perhaps root, and lock the daemon out). What a
  // running daemon has not checkpointed yet is not seen. Zero when there is
  // no journal. Throws JournalError.
  static UsageTotals read_usage_on_day(const std::string& path, const std::string& day);
  const std::string& path() const { return path_; }

 private:
  void exec(const char* sql);
  // `definition` is "name TYPE ..." as in ALTER TABLE jobs ADD COLUMN.
  void add_column_if_missing(const std::string& definition);
  // Prepared once per SQL text and reused (the caller holds mutex_), so the
  // SQL is parsed once, not on every step the daemon records.
  sqlite3_stmt* prepared(const std::string& sql);
  // One INSERT for put() and create(); returns the rows changed.
  int write(const JobRecord& record, const std::string& insert_verb);
  UsageTotals usage_where(const char* column, const std::string& value);
  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::unique_ptr<sqlite::StatementCache> statements_;  // destroyed before db_ is closed
};

}  // namespace gigent::engine
