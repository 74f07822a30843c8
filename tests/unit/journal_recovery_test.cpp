// The order journal as recovery depends on it: what is put survives a reopen
// (a crash), a journal from before owner_pid is migrated, a corrupt file is a
// clear error, and replicas sharing one journal never take or erase each
// other's records.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <fstream>

#include <sqlite3.h>

#include "engine/journal.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::engine;
using namespace gigent::testing;

namespace {

void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

JobRecord result_ready(const std::string& id) {
  JobRecord r;
  r.order_id = id;
  r.state = JobState::ResultReady;
  r.delivery_data = R"({"content":"the saved answer","format":"markdown"})";
  r.input_tokens = 12;
  r.output_tokens = 34;
  r.attempts = 1;
  r.last_error = "previous: HTTP 529";
  r.next_attempt_at = 1234;
  return r;
}

TEST(JournalRecovery, ARecordSurvivesClosingAndReopeningWithEveryField) {
  TempDir dir;
  {
    Journal journal(dir.file("j.db"));
    journal.put(result_ready("o1"));
  }
  Journal reopened(dir.file("j.db"));
  auto r = reopened.get("o1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, JobState::ResultReady);
  EXPECT_EQ(r->delivery_data, R"({"content":"the saved answer","format":"markdown"})");
  EXPECT_EQ(r->input_tokens, 12);
  EXPECT_EQ(r->output_tokens, 34);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(r->last_error, "previous: HTTP 529");
  EXPECT_EQ(r->next_attempt_at, 1234);
  EXPECT_EQ(r->owner_pid, ::getpid());
  EXPECT_FALSE(r->updated_at.empty());
}

TEST(JournalRecovery, ARecordWrittenByAKilledProcessIsThereAfterwards) {
  TempDir dir;
  std::string path = dir.file("j.db");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Journal journal(path);
    journal.put(result_ready("killed"));
    ::kill(::getpid(), SIGKILL);  // no destructor, no clean close
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  Journal journal(path);
  auto r = journal.get("killed");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, JobState::ResultReady);
  EXPECT_EQ(r->owner_pid, child);
  EXPECT_FALSE(held_by_another_live_process(*r)) << "a dead writer holds nothing";
}

TEST(JournalRecovery, CreateInsertsOnlyOnceAndTheLoserForgetsOnlyItsOwnRecord) {
  TempDir dir;
  Journal journal(dir.file("j.db"));
  JobRecord claimed;
  claimed.order_id = "o1";
  EXPECT_TRUE(journal.create(claimed));
  EXPECT_FALSE(journal.create(claimed)) << "the second claim of one order must lose";
  // Pretend another replica (pid 1, always alive) wrote it.
  raw_sql(dir.file("j.db"),
          "UPDATE jobs SET owner_pid = 1, owner_start = '" + process_start_token(1) + "' WHERE order_id = 'o1'");
  auto r = journal.get("o1");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(held_by_another_live_process(*r));
  journal.forget_if_ours("o1");
  EXPECT_TRUE(journal.get("o1").has_value()) << "a replica erased another's record";
  journal.put(*r);  // now ours
  journal.forget_if_ours("o1");
  EXPECT_FALSE(journal.get("o1").has_value());
}

TEST(JournalRecovery, AJournalFromBeforeOwnerPidIsMigratedWithItsRecords) {
  TempDir dir;
  std::string path = dir.file("old.db");
  raw_sql(path,
          "CREATE TABLE jobs (order_id TEXT PRIMARY KEY, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
          " delivery_data TEXT NOT NULL DEFAULT '', input_tokens INTEGER NOT NULL DEFAULT 0,"
          " output_tokens INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
          " next_attempt_at INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL DEFAULT (datetime('now')));"
          "INSERT INTO jobs (order_id, state, delivery_data) VALUES ('old', 'result_ready', '{\"content\":\"x\"}');");
  Journal journal(path);
  auto r = journal.get("old");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, JobState::ResultReady);
  EXPECT_EQ(r->owner_pid, 0);
  EXPECT_FALSE(held_by_another_live_process(*r));
  journal.put(result_ready("new"));
  EXPECT_EQ(journal.in_states({JobState::ResultReady}).size(), 2u);
}

TEST(JournalRecovery, AFileThatIsNotAJournalIsAClearErrorNamingThePath) {
  TempDir dir;
  std::string path = dir.file("garbage.db");
  std::ofstream(path) << std::string(4096, 'x');
  try {
    Journal journal(path);
    FAIL() << "opened a file that is not a database";
  } catch (const JournalError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(JournalRecovery, AnUnknownStateReadsAsFailedSoTheOrderIsRetriedNotLost) {
  TempDir dir;
  Journal journal(dir.file("j.db"));
  journal.put(result_ready("o1"));
  raw_sql(dir.file("j.db"), "UPDATE jobs SET state = 'from_the_future' WHERE order_id = 'o1'");
  auto r = journal.get("o1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, JobState::Failed);
}

TEST(JournalRecovery, InStatesListsOnlyTheStatesAskedFor) {
  TempDir dir;
  Journal journal(dir.file("j.db"));
  for (auto [id, state] : {std::pair{"a", JobState::Delivered}, std::pair{"b", JobState::Poison},
                           std::pair{"c", JobState::ResultReady}, std::pair{"d", JobState::Poison}}) {
    JobRecord r;
    r.order_id = id;
    r.state = state;
    journal.put(r);
  }
  auto poison = journal.in_states({JobState::Poison});
  ASSERT_EQ(poison.size(), 2u);
  for (auto& r : poison) EXPECT_EQ(r.state, JobState::Poison);
  EXPECT_TRUE(journal.in_states({JobState::Claimed}).empty());
}

// A process that has exited (and been reaped): its pid is dead.
int dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(JournalRecovery, AReadErrorIsAnErrorNeverAnAbsentRecordOrAShortList) {
  TempDir dir;
  Journal journal(dir.file("j.db"));
  journal.put(result_ready("o1"));
  // The table disappears under the open journal: every read now fails in SQLite.
  raw_sql(dir.file("j.db"), "ALTER TABLE jobs RENAME TO jobs_gone");
  EXPECT_THROW(journal.get("o1"), JournalError) << "a failed read looked like \"no record\"";
  EXPECT_THROW(journal.get_or_new("o1"), JournalError);
  EXPECT_THROW(journal.in_states({JobState::ResultReady}), JournalError) << "a failed read looked like an empty list";
  try {
    journal.get("o1");
  } catch (const JournalError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("j.db")), std::string::npos) << e.what();
  }
}

TEST(JournalRecovery, AReusedPidDoesNotMakeADeadOwnerLookAlive) {
  TempDir dir;
  Journal journal(dir.file("j.db"));
  journal.put(result_ready("o1"));
  const int live = ::getppid();
  const std::string live_token = process_start_token(live);
  ASSERT_FALSE(live_token.empty());
  EXPECT_NE(live_token, process_start_token(::getpid()));
  // The pid is alive, but it is not the process that wrote the record.
  raw_sql(dir.file("j.db"), "UPDATE jobs SET owner_pid = " + std::to_string(live) +
                                ", owner_start = 'another-boot:12345' WHERE order_id = 'o1'");
  auto r = journal.get("o1");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(held_by_another_live_process(*r)) << "a reused pid made a dead owner look alive";
  // The same pid with its own start token is the live owner.
  raw_sql(dir.file("j.db"), "UPDATE jobs SET owner_start = '" + live_token + "' WHERE order_id = 'o1'");
  r = journal.get("o1");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(held_by_another_live_process(*r));
  // Written by this process: its own, never "another's".
  journal.put(*r);
  r = journal.get("o1");
  EXPECT_TRUE(owned_by_this_process(*r));
  EXPECT_FALSE(held_by_another_live_process(*r));
}

TEST(JournalRecovery, OfTwoReplicasTakingOverADeadOwnersOrderExactlyOneWins) {
  TempDir dir;
  const std::string path = dir.file("j.db");
  Journal first(path), second(path);  // two connections, as two replicas have
  first.put(result_ready("o1"));
  raw_sql(path, "UPDATE jobs SET owner_pid = " + std::to_string(dead_pid()) +
                    ", owner_start = 'x:1', state = 'started' WHERE order_id = 'o1'");
  // Both saw the same dead owner before either acted.
  auto seen_by_first = first.get("o1");
  auto seen_by_second = second.get("o1");
  ASSERT_TRUE(seen_by_first && seen_by_second);
  EXPECT_FALSE(held_by_another_live_process(*seen_by_first));
  int winners = 0;
  for (auto [journal, seen] : {std::pair{&first, &*seen_by_first}, std::pair{&second, &*seen_by_second}})
    winners += journal->take_over(*seen) ? 1 : 0;
  EXPECT_EQ(winners, 1) << "a dead owner's order was taken over by two replicas";
  auto now = first.get("o1");
  EXPECT_TRUE(owned_by_this_process(*now));
  EXPECT_EQ(now->state, JobState::Started) << "taking over changes the owner only";
}

}  // namespace
