#include "engine/journal.h"

#include "common/fs.h"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace gigent::engine {

namespace {
const char* kStateNames[] = {"claimed",   "started", "result_ready", "awaiting_delivery",
                             "delivered", "failed",  "poison",       "closed"};

// A statement from the journal's cache, reset and unbound when the caller is done.
struct Statement {
  sqlite3_stmt* stmt;
  explicit Statement(sqlite3_stmt* prepared) : stmt(prepared) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  void text(int i, const std::string& v) {
    sqlite3_bind_text(stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void integer(int i, long long v) { sqlite3_bind_int64(stmt, i, v); }
  std::string column_text(int i) {
    auto* p = sqlite3_column_text(stmt, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)))
             : "";
  }
};

JobRecord read_row(Statement& s) {
  JobRecord r;
  r.order_id = s.column_text(0);
  r.state = parse_job_state(s.column_text(1)).value_or(JobState::Failed);
  r.attempts = sqlite3_column_int(s.stmt, 2);
  r.delivery_data = s.column_text(3);
  r.input_tokens = sqlite3_column_int64(s.stmt, 4);
  r.output_tokens = sqlite3_column_int64(s.stmt, 5);
  r.last_error = s.column_text(6);
  r.next_attempt_at = sqlite3_column_int64(s.stmt, 7);
  r.updated_at = s.column_text(8);
  r.owner_pid = sqlite3_column_int(s.stmt, 9);
  r.owner_start = s.column_text(10);
  return r;
}
}  // namespace

constexpr const char* kColumns =
    "order_id, state, attempts, delivery_data, input_tokens, output_tokens, last_error, next_attempt_at, updated_at, "
    "owner_pid, owner_start";

std::string process_start_token(int pid) {
  if (pid <= 0) return "";
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return "";
  // Field 2 (the command name) may hold spaces and parentheses: fields are
  // counted from the last ')'. starttime is field 22.
  auto close = line.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) {
      static const std::string boot_id = [] {
        std::ifstream f("/proc/sys/kernel/random/boot_id");
        std::string id;
        std::getline(f, id);
        return id;
      }();
      std::string token = boot_id;
      token += ':';
      token += field;
      return token;
    }
  }
  return "";
}

namespace {
const std::string& this_process_token() {
  static const std::string token = process_start_token(::getpid());
  return token;
}
}  // namespace

bool owned_by_this_process(const JobRecord& record) {
  return record.owner_pid == ::getpid() && (record.owner_start.empty() || record.owner_start == this_process_token());
}

bool held_by_another_live_process(const JobRecord& record) {
  if (record.owner_pid <= 0 || owned_by_this_process(record)) return false;
  if (!record.owner_start.empty()) return process_start_token(record.owner_pid) == record.owner_start;
  // A record from before start tokens were kept: the pid is all there is.
  return ::kill(record.owner_pid, 0) == 0 || errno == EPERM;
}

std::string to_string(JobState s) {
  return kStateNames[static_cast<int>(s)];
}

std::optional<JobState> parse_job_state(const std::string& s) {
  for (std::size_t i = 0; i < std::size(kStateNames); ++i)
    if (s == kStateNames[i]) return static_cast<JobState>(i);
  return std::nullopt;
}

Journal::Journal(const std::string& path) : path_(path) {
  // The journal holds buyers' briefs and results: owner-only from creation.
  // O_NOFOLLOW: a link is refused, so no advice ever concerns its target.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == ELOOP)
    throw JournalError("the order journal " + path +
                           " is a symbolic link; the runtime does not follow links for its own files. Remove the "
                           "link (rm " +
                           path + " removes only the link, not its target) and start again",
                       true);
  if (fd < 0) throw JournalError("cannot open the order journal " + path + ": " + errno_text(errno));
  ::close(fd);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw JournalError("cannot open the order journal " + path + ": " + why);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");  // a recorded step survives power loss
    exec(
        "CREATE TABLE IF NOT EXISTS jobs ("
        " order_id TEXT PRIMARY KEY, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
        " delivery_data TEXT NOT NULL DEFAULT '', input_tokens INTEGER NOT NULL DEFAULT 0,"
        " output_tokens INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
        " next_attempt_at INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL DEFAULT (datetime('now')))");
    exec("CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state)");
    // Journals written before owner_pid existed get the column (0: no owner).
    bool has_owner = false;
    {
      Statement s(prepared("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'owner_pid'"));
      has_owner = sqlite3_step(s.stmt) == SQLITE_ROW;
    }
    if (!has_owner) exec("ALTER TABLE jobs ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0");
    bool has_owner_start = false;
    {
      Statement s(prepared("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'owner_start'"));
      has_owner_start = sqlite3_step(s.stmt) == SQLITE_ROW;
    }
    if (!has_owner_start) exec("ALTER TABLE jobs ADD COLUMN owner_start TEXT NOT NULL DEFAULT ''");
  } catch (...) {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
    throw;
  }
}

Journal::~Journal() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

sqlite3_stmt* Journal::prepared(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    throw JournalError("journal " + path_ + ": " + sqlite3_errmsg(db_));
  statements_.emplace(sql, stmt);
  return stmt;
}

void Journal::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    int code = sqlite3_errcode(db_);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
      throw JournalError("the order journal " + path_ + " is corrupt (" + why + "). Move it aside (mv " + path_ + " " +
                             path_ +
                             ".corrupt) and start again: a new, empty journal is created. Lost with it: "
                             "results the LLM produced but that were not delivered yet (those orders are worked "
                             "again), results kept for `gigent-runtime deliver`, and the retry state of failed "
                             "orders",
                         true);
    throw JournalError("order journal " + path_ + ": " + why);
  }
}

std::optional<JobRecord> Journal::get(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  Statement s(prepared((std::string("SELECT ") + kColumns + " FROM jobs WHERE order_id = ?").c_str()));
  s.text(1, order_id);
  int rc = sqlite3_step(s.stmt);
  if (rc == SQLITE_ROW) return read_row(s);
  if (rc == SQLITE_DONE) return std::nullopt;
  throw JournalError("cannot read order " + order_id + " from " + path_ + ": " + sqlite3_errmsg(db_));
}

JobRecord Journal::get_or_new(const std::string& order_id) {
  if (auto existing = get(order_id)) return *existing;
  JobRecord fresh;
  fresh.order_id = order_id;
  return fresh;
}

namespace {
void bind_record(Statement& s, const JobRecord& r) {
  s.text(1, r.order_id);
  s.text(2, to_string(r.state));
  s.integer(3, r.attempts);
  s.text(4, r.delivery_data);
  s.integer(5, r.input_tokens);
  s.integer(6, r.output_tokens);
  s.text(7, r.last_error);
  s.integer(8, r.next_attempt_at);
  s.integer(9, ::getpid());
  s.text(10, this_process_token());
}
}  // namespace

bool Journal::create(const JobRecord& r) {
  return write(r, "INSERT OR IGNORE") == 1;
}

void Journal::forget_if_ours(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  Statement s(prepared("DELETE FROM jobs WHERE order_id = ? AND owner_pid = ? AND owner_start IN ('', ?)"));
  s.text(1, order_id);
  s.integer(2, ::getpid());
  s.text(3, this_process_token());
  if (sqlite3_step(s.stmt) != SQLITE_DONE) throw JournalError("cannot update " + path_ + ": " + sqlite3_errmsg(db_));
}

void Journal::put(const JobRecord& r) {
  write(r, "INSERT OR REPLACE");
}

int Journal::write(const JobRecord& r, const std::string& insert_verb) {
  std::lock_guard lock(mutex_);
  Statement s(
      prepared(insert_verb +
               " INTO jobs (order_id, state, attempts, delivery_data, input_tokens, output_tokens, "
               "last_error, next_attempt_at, owner_pid, owner_start, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
               "?, datetime('now'))"));
  bind_record(s, r);
  if (sqlite3_step(s.stmt) != SQLITE_DONE)
    throw JournalError("cannot record order " + r.order_id + " in " + path_ + ": " + sqlite3_errmsg(db_));
  return sqlite3_changes(db_);
}

void Journal::forget(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  Statement s(prepared("DELETE FROM jobs WHERE order_id = ?"));
  s.text(1, order_id);
  if (sqlite3_step(s.stmt) != SQLITE_DONE) throw JournalError("cannot update " + path_ + ": " + sqlite3_errmsg(db_));
}

std::vector<JobRecord> Journal::in_states(const std::vector<JobState>& states) {
  std::lock_guard lock(mutex_);
  std::vector<JobRecord> out;
  if (states.empty()) return out;
  // Filtered by SQLite through the state index: reading every row made each
  // state-file write cost O(orders ever handled).
  std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE state IN (?";
  for (std::size_t i = 1; i < states.size(); ++i) sql += ", ?";
  sql += ") ORDER BY updated_at";
  Statement s(prepared(sql));
  for (std::size_t i = 0; i < states.size(); ++i) s.text(static_cast<int>(i + 1), to_string(states[i]));
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) out.push_back(read_row(s));
  if (rc != SQLITE_DONE) throw JournalError("cannot read the order journal " + path_ + ": " + sqlite3_errmsg(db_));
  return out;
}

bool Journal::take_over(const JobRecord& seen) {
  std::lock_guard lock(mutex_);
  Statement s(
      prepared("UPDATE jobs SET owner_pid = ?, owner_start = ?, updated_at = datetime('now') "
               "WHERE order_id = ? AND owner_pid = ? AND owner_start = ?"));
  s.integer(1, ::getpid());
  s.text(2, this_process_token());
  s.text(3, seen.order_id);
  s.integer(4, seen.owner_pid);
  s.text(5, seen.owner_start);
  if (sqlite3_step(s.stmt) != SQLITE_DONE)
    throw JournalError("cannot update order " + seen.order_id + " in " + path_ + ": " + sqlite3_errmsg(db_));
  return sqlite3_changes(db_) == 1;
}

}  // namespace gigent::engine
