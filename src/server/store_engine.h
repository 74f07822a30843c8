#pragma once
// What differs between the store's two databases, behind one interface: how a
// connection opens, how the schema is made and migrated, how a write
// transaction starts and ends, and what runs beside the requests. The Store
// (store.h) holds one engine; its domain queries are written once for both.
//
//   SQLite (--db FILE): one process; writers serialised in-process, BEGIN
//   IMMEDIATE; a checkpointer thread copies the WAL back off the request path.
//
//   PostgreSQL (--db postgresql://...): any number of processes on one
//   database. Write transactions take one transaction-scoped advisory lock,
//   so they run one at a time across every process as SQLite's do, and
//   announce themselves with NOTIFY; a listener thread (LISTEN on its own
//   connection) turns other processes' announcements into the Store's
//   generation bump (page cache) and long-poll wake-ups.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/connection.h"

namespace gigent::server {

// What the engine reports from other processes.
struct RemoteChanges {
  std::function<void()> wrote;                                          // any committed write
  std::function<void(const std::vector<std::string>&)> orders_changed;  // agents whose orders changed
  std::function<void()> missed;                         // announcements may have been lost (the listener reconnected)
  std::function<void(const std::string&)> key_rotated;  // the agent whose API key another process rotated
};

class StoreEngine {
 public:
  virtual ~StoreEngine() = default;
  virtual std::unique_ptr<Connection> open() = 0;
  // Creates or migrates the schema; safe when several processes start at once.
  virtual void create_schema(Connection& conn) = 0;
  virtual void begin_write(Connection& conn) = 0;
  // Inside the write transaction, just before COMMIT.
  virtual void before_commit(Connection& /*conn*/) {}
  // Tells other processes that these agents' orders changed (after commit).
  virtual void announce_orders(Connection& /*conn*/, const std::vector<std::string>& /*agent_ids*/) {}
  // Inside the write transaction that rotates the agent's key: the other
  // processes forget the old key when it commits.
  virtual void announce_key_rotation(Connection& /*conn*/, const std::string& /*agent_id*/) {}
  // Starts what runs beside the requests; stop() ends it before destruction.
  virtual void start(RemoteChanges changes) = 0;
  virtual void stop() = 0;
  // The database's size in bytes (for metrics and logs).
  virtual std::int64_t size_bytes(Connection& conn) = 0;
};

std::unique_ptr<StoreEngine> make_sqlite_engine(const std::string& path);
std::unique_ptr<StoreEngine> make_postgres_engine(const std::string& url);

}  // namespace gigent::server
