#include "engine/journal.h"

#include "common/fs.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>

namespace gigent::engine {

namespace {
const char* kStateNames[] = {"claimed", "started", "result_ready", "awaiting_delivery", "delivered",
                             "failed",  "poison",  "closed",       "cancelled"};

using sqlite::Statement;

// Runs a write; returns the rows changed. SQLite's failure becomes a
// JournalError that says what was being done.
int run_or_throw(Statement& s, const std::string& doing) {
  try {
    return s.run();
  } catch (const sqlite::Error& e) {
    throw JournalError(doing + ": " + e.what());
  }
}

JobRecord read_row(Statement& s) {
  JobRecord r;
  r.order_id = s.column_string(0);
  r.state = parse_job_state(s.column_string(1)).value_or(JobState::Failed);
  r.attempts = static_cast<int>(s.column_int64(2));
  r.delivery_data = s.column_string(3);
  r.input_tokens = s.column_int64(4);
  r.output_tokens = s.column_int64(5);
  r.last_error = s.column_string(6);
  r.next_attempt_at = s.column_int64(7);
  r.updated_at = s.column_string(8);
  r.owner_pid = static_cast<int>(s.column_int64(9));
  r.owner_start = s.column_string(10);
  r.operator_note = s.column_string(11);
  r.answered_by = s.column_string(12);
  r.round = static_cast<int>(s.column_int64(13));
  return r;
}
}  // namespace

constexpr const char* kColumns =
    "order_id, state, attempts, delivery_data, input_tokens, output_tokens, last_error, next_attempt_at, updated_at, "
    "owner_pid, owner_start, operator_note, answered_by, round";

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

void Journal::prefer_small_memory() {
  // Both must precede SQLite's initialisation; a process that used SQLite
  // already keeps the defaults (SQLITE_MISUSE), which only cost memory.
  sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
  sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
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
  statements_ = std::make_unique<sqlite::StatementCache>(db_);
  try {
    exec("PRAGMA cache_size=-256");  // KiB: a journal's working set is a few pages
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");  // a recorded step survives power loss
    exec(
        "CREATE TABLE IF NOT EXISTS jobs ("
        " order_id TEXT PRIMARY KEY, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
        " delivery_data TEXT NOT NULL DEFAULT '', input_tokens INTEGER NOT NULL DEFAULT 0,"
        " output_tokens INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
        " next_attempt_at INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL DEFAULT (datetime('now')))");
    exec("CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state)");
    // Journals written by older versions get each later column, with the
    // default that means "not set" (owner_pid 0: no owner; round 0: the first
    // delivery).
    add_column_if_missing("owner_pid INTEGER NOT NULL DEFAULT 0");
    add_column_if_missing("owner_start TEXT NOT NULL DEFAULT ''");
    add_column_if_missing("operator_note TEXT NOT NULL DEFAULT ''");
    add_column_if_missing("answered_by TEXT NOT NULL DEFAULT ''");
    add_column_if_missing("round INTEGER NOT NULL DEFAULT 0");
    // One row per LLM answer: the budget's memory across restarts.
    exec(
        "CREATE TABLE IF NOT EXISTS llm_usage ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, day TEXT NOT NULL, at INTEGER NOT NULL,"
        " input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL DEFAULT 0,"
        " provider TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '')");
    exec("CREATE INDEX IF NOT EXISTS llm_usage_day ON llm_usage(day)");
    exec("CREATE INDEX IF NOT EXISTS llm_usage_order ON llm_usage(order_id)");
  } catch (const sqlite::Error& e) {
    statements_.reset();
    sqlite3_close(db_);
    throw JournalError("order journal " + path_ + ": " + e.what());
  } catch (...) {
    statements_.reset();
    sqlite3_close(db_);
    throw;
  }
}

void Journal::add_column_if_missing(const std::string& definition) {
  const std::string name = definition.substr(0, definition.find(' '));
  bool present = false;
  {
    Statement s(prepared("SELECT 1 FROM pragma_table_info('jobs') WHERE name = ?"));
    s.bind_text(1, name);
    present = s.step();
  }
  if (!present) exec(("ALTER TABLE jobs ADD COLUMN " + definition).c_str());
}

void Journal::release_memory() {
  std::lock_guard lock(mutex_);
  if (statements_->size() == 0) return;                         // nothing cached since the last time
  statements_ = std::make_unique<sqlite::StatementCache>(db_);  // the old cache finalizes its statements
  sqlite3_db_release_memory(db_);
}

Journal::~Journal() {
  statements_.reset();
  sqlite3_close(db_);
}

sqlite3_stmt* Journal::prepared(const std::string& sql) {
  try {
    return statements_->get(sql);
  } catch (const sqlite::Error& e) {
    throw JournalError("journal " + path_ + ": " + e.what());
  }
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
  Statement s(prepared(std::string("SELECT ") + kColumns + " FROM jobs WHERE order_id = ?"));
  s.bind_text(1, order_id);
  try {
    if (s.step()) return read_row(s);
    return std::nullopt;
  } catch (const sqlite::Error& e) {
    throw JournalError("cannot read order " + order_id + " from " + path_ + ": " + e.what());
  }
}

JobRecord Journal::get_or_new(const std::string& order_id) {
  if (auto existing = get(order_id)) return *existing;
  JobRecord fresh;
  fresh.order_id = order_id;
  return fresh;
}

namespace {
void bind_record(Statement& s, const JobRecord& r) {
  s.bind_text(1, r.order_id);
  s.bind_text(2, to_string(r.state));
  s.bind_int64(3, r.attempts);
  s.bind_text(4, r.delivery_data);
  s.bind_int64(5, r.input_tokens);
  s.bind_int64(6, r.output_tokens);
  s.bind_text(7, r.last_error);
  s.bind_int64(8, r.next_attempt_at);
  s.bind_int64(9, ::getpid());
  s.bind_text(10, this_process_token());
  s.bind_text(11, r.operator_note);
  s.bind_text(12, r.answered_by);
  s.bind_int64(13, r.round);
}
}  // namespace

bool Journal::create(const JobRecord& r) {
  return write(r, "INSERT OR IGNORE") == 1;
}

void Journal::forget_if_ours(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  Statement s(prepared("DELETE FROM jobs WHERE order_id = ? AND owner_pid = ? AND owner_start IN ('', ?)"));
  s.bind_text(1, order_id);
  s.bind_int64(2, ::getpid());
  s.bind_text(3, this_process_token());
  run_or_throw(s, "cannot update " + path_);
}

void Journal::put(const JobRecord& r) {
  write(r, "INSERT OR REPLACE");
}

int Journal::write(const JobRecord& r, const std::string& insert_verb) {
  std::lock_guard lock(mutex_);
  Statement s(prepared(insert_verb +
                       " INTO jobs (order_id, state, attempts, delivery_data, input_tokens, output_tokens, "
                       "last_error, next_attempt_at, owner_pid, owner_start, operator_note, answered_by, round, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, datetime('now'))"));
  bind_record(s, r);
  return run_or_throw(s, "cannot record order " + r.order_id + " in " + path_);
}

void Journal::probe_write() {
  std::lock_guard lock(mutex_);
  // Its own one-row table: the probe never touches an order's record.
  exec("CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, checked_at INTEGER NOT NULL)");
  Statement s(prepared("INSERT OR REPLACE INTO health_probe (id, checked_at) VALUES (1, ?)"));
  s.bind_int64(1, static_cast<std::int64_t>(std::time(nullptr)));
  run_or_throw(s, "cannot write to " + path_);
}

void Journal::forget(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  Statement s(prepared("DELETE FROM jobs WHERE order_id = ?"));
  s.bind_text(1, order_id);
  run_or_throw(s, "cannot update " + path_);
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
  for (std::size_t i = 0; i < states.size(); ++i) s.bind_text(static_cast<int>(i + 1), to_string(states[i]));
  try {
    while (s.step()) out.push_back(read_row(s));
  } catch (const sqlite::Error& e) {
    throw JournalError("cannot read the order journal " + path_ + ": " + e.what());
  }
  return out;
}

void Journal::record_usage(const UsageRow& row) {
  std::lock_guard lock(mutex_);
  Statement s(
      prepared("INSERT INTO llm_usage (order_id, day, at, input_tokens, output_tokens, cost_usd, provider, model) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  s.bind_text(1, row.order_id);
  s.bind_text(2, row.day);
  s.bind_int64(3, row.at);
  s.bind_int64(4, row.input_tokens);
  s.bind_int64(5, row.output_tokens);
  s.bind_double(6, row.cost_usd);
  s.bind_text(7, row.provider);
  s.bind_text(8, row.model);
  run_or_throw(s, "cannot record the LLM usage of order " + row.order_id + " in " + path_);
}

UsageTotals Journal::usage_where(const char* column, const std::string& value) {
  std::lock_guard lock(mutex_);
  // `column` is one of two literals of this file, never input.
  Statement s(prepared(std::string("SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
                                   "COALESCE(SUM(cost_usd), 0), COUNT(*) FROM llm_usage WHERE ") +
                       column + " = ?"));
  s.bind_text(1, value);
  UsageTotals totals;
  try {
    if (s.step()) {
      totals.input_tokens = s.column_int64(0);
      totals.output_tokens = s.column_int64(1);
      totals.cost_usd = s.column_double(2);
      totals.calls = s.column_int64(3);
    }
  } catch (const sqlite::Error& e) {
    throw JournalError("cannot read the LLM usage from " + path_ + ": " + e.what());
  }
  return totals;
}

UsageTotals Journal::read_usage_on_day(const std::string& path, const std::string& day) {
  std::string uri = "file:";
  for (char c : path) {  // a URI: the characters that would end or escape the path are percent-encoded
    if (c == '%' || c == '?' || c == '#')
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else
      uri += c;
  }
  uri += "?immutable=1";
  sqlite3* db = nullptr;
  try {
    db = sqlite::open(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, 1000);
  } catch (const sqlite::Error& e) {
    throw JournalError("cannot read the order journal " + path + ": " + e.what());
  }
  struct Close {
    sqlite3* db;
    ~Close() { sqlite3_close(db); }
  } close{db};
  sqlite::StatementCache statements(db);  // finalized before the connection closes
  UsageTotals totals;
  try {
    Statement s(statements.get(
        "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_usd), 0), "
        "COUNT(*) FROM llm_usage WHERE day = ?"));
    s.bind_text(1, day);
    if (s.step()) totals = {s.column_int64(0), s.column_int64(1), s.column_double(2), s.column_int64(3)};
  } catch (const sqlite::Error& e) {
    // A journal from before usage was recorded has no table yet: nothing spent.
    if (std::string(e.what()).find("no such table") != std::string::npos) return totals;
    throw JournalError("cannot read the LLM usage from " + path + ": " + e.what());
  }
  return totals;
}

UsageTotals Journal::usage_of_order(const std::string& order_id) {
  return usage_where("order_id", order_id);
}

UsageTotals Journal::usage_on_day(const std::string& day) {
  return usage_where("day", day);
}

bool Journal::take_over(const JobRecord& seen) {
  std::lock_guard lock(mutex_);
  Statement s(
      prepared("UPDATE jobs SET owner_pid = ?, owner_start = ?, updated_at = datetime('now') "
               "WHERE order_id = ? AND owner_pid = ? AND owner_start = ?"));
  s.bind_int64(1, ::getpid());
  s.bind_text(2, this_process_token());
  s.bind_text(3, seen.order_id);
  s.bind_int64(4, seen.owner_pid);
  s.bind_text(5, seen.owner_start);
  return run_or_throw(s, "cannot update order " + seen.order_id + " in " + path_) == 1;
}

bool Journal::begin_round(const std::string& order_id, int round) {
  std::lock_guard lock(mutex_);
  Statement s(
      prepared("UPDATE jobs SET round = ?, state = 'claimed', attempts = 0, delivery_data = '', last_error = '', "
               "next_attempt_at = 0, owner_pid = ?, owner_start = ?, updated_at = datetime('now') "
               "WHERE order_id = ? AND round = ? AND state = 'delivered'"));
  s.bind_int64(1, round);
  s.bind_int64(2, ::getpid());
  s.bind_text(3, this_process_token());
  s.bind_text(4, order_id);
  s.bind_int64(5, round - 1);
  return run_or_throw(s, "cannot begin revision of order " + order_id + " in " + path_) == 1;
}

}  // namespace gigent::engine
