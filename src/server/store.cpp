#include "server/store.h"

#include <chrono>
#include <utility>

#include <sqlite3.h>

#include "server/schema.h"

namespace gigent::server {

Store::Store(std::string path, std::size_t max_idle_connections)
    : path_(std::move(path)), max_idle_(max_idle_connections) {
  auto conn = std::make_unique<Connection>(path_);
  conn->exec_script("PRAGMA journal_mode = WAL;");
  create_schema(*conn);
  give_back(std::move(conn));
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

Store::~Store() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_wake_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

// Copies the WAL back into the database off the request path. SQLite's own
// automatic checkpoint would run inside whichever commit crosses the
// threshold, fsync included, and every writer queued behind it would wait.
// PASSIVE never takes the writer lock. The automatic one stays as a backstop
// at a higher threshold (see Connection).
void Store::checkpoint_loop() {
  std::unique_ptr<Connection> conn;
  std::unique_lock lock(checkpoint_mutex_);
  while (!checkpoint_wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; })) {
    try {
      if (!conn) conn = std::make_unique<Connection>(path_);
      sqlite3_wal_checkpoint_v2(conn->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } catch (const std::exception&) {
      conn.reset();  // try again with a fresh connection next round
    }
  }
}

Lease Store::connection() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  return Lease(this, std::make_unique<Connection>(path_));
}

void Store::give_back(std::unique_ptr<Connection> conn) {
  // A connection still inside a transaction (a ROLLBACK that failed, a
  // caller that left after BEGIN) would hand the next request that
  // transaction; closing it rolls it back instead.
  if (!conn->in_autocommit()) return;
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

void Store::write(const std::function<void(Connection&)>& body) {
  std::lock_guard writer(write_mutex_);
  auto conn = connection();
  conn->execute("BEGIN IMMEDIATE");
  try {
    body(*conn);
    conn->execute("COMMIT");
    generation_.fetch_add(1, std::memory_order_acq_rel);
  } catch (...) {
    try {
      // SQLite rolls some errors back itself; then there is nothing to undo.
      if (!conn->in_autocommit()) conn->execute("ROLLBACK");
    } catch (...) {
      conn.discard();  // its state is unknown: closing it is the rollback
    }
    throw;
  }
}

Json Store::stats() {
  auto row = connection()->query_one(
      "SELECT (SELECT COUNT(*) FROM agents) AS agents, "
      "(SELECT COUNT(*) FROM gigs WHERE status = 'active') AS gigs, "
      "(SELECT COUNT(*) FROM orders) AS orders");
  return row ? *row : Json::object();
}

}  // namespace gigent::server
