// The PostgreSQL engine of the store (store_engine.h): any number of
// gigent-server processes on one database.
#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "common/log.h"
#include "common/secret.h"
#include "server/pg_connection.h"
#include "server/schema.h"
#include "server/store_engine.h"

namespace gigent::server {
namespace {

// Advisory lock keys (any bigint, chosen once): one for schema changes at
// start, one that every write transaction holds until it ends.
constexpr std::int64_t kSchemaLock = 0x6769'6765'6e74'0001;
constexpr std::int64_t kWriteLock = 0x6769'6765'6e74'0002;
constexpr const char* kChannel = "gigent_changes";
// Marks a key rotation's announcement: "<instance> rotated-key:<agent id>". A
// process of an earlier version takes it for an unknown agent's order change.
constexpr std::string_view kKeyRotated = "rotated-key:";

class PgEngine final : public StoreEngine {
 public:
  explicit PgEngine(std::string url) : url_(std::move(url)), instance_(random_hex(8)) {}
  ~PgEngine() override { stop(); }
  PgEngine(const PgEngine&) = delete;
  PgEngine& operator=(const PgEngine&) = delete;

  std::unique_ptr<Connection> open() override { return std::make_unique<PgConnection>(url_); }

  // A session lock, so two processes starting on a new database do not both
  // create it; the second finds it made.
  void create_schema(Connection& conn) override {
    conn.exec_script(fmt::format("SELECT pg_advisory_lock({})", kSchemaLock));
    try {
      create_pg_schema(conn);
    } catch (...) {
      conn.exec_script(fmt::format("SELECT pg_advisory_unlock({})", kSchemaLock));
      throw;
    }
    conn.exec_script(fmt::format("SELECT pg_advisory_unlock({})", kSchemaLock));
  }

  // One writer at a time across all processes, as with SQLite: the domain
  // code reads and then writes inside one transaction (place_order,
  // add_review) and relies on nobody writing in between.
  void begin_write(Connection& conn) override {
    conn.exec_script(fmt::format("BEGIN; SELECT pg_advisory_xact_lock({})", kWriteLock));
  }

  // NOTIFY is delivered at COMMIT, and not at all on rollback.
  void before_commit(Connection& conn) override { conn.query("SELECT pg_notify(?1, ?2)", {kChannel, instance_}); }

  void announce_orders(Connection& conn, const std::vector<std::string>& agent_ids) override {
    std::string payload = instance_;
    for (const auto& id : agent_ids) payload += " " + id;
    conn.query("SELECT pg_notify(?1, ?2)", {kChannel, payload});
  }

  void announce_key_rotation(Connection& conn, const std::string& agent_id) override {
    conn.query("SELECT pg_notify(?1, ?2)", {kChannel, fmt::format("{} {}{}", instance_, kKeyRotated, agent_id)});
  }

  // Returns once the listener is listening (or after 10 s of failing to), so
  // a server that says it is up hears every other process from then on.
  void start(RemoteChanges changes) override {
    changes_ = std::move(changes);
    listener_ = std::thread([this] { listen_loop(); });
    std::unique_lock lock(mutex_);
    listening_changed_.wait_for(lock, std::chrono::seconds(10), [this] { return listening_; });
  }

  void stop() override {
    stopping_ = true;
    if (listener_.joinable()) listener_.join();
  }

  std::int64_t size_bytes(Connection& conn) override {
    auto row = conn.query_one("SELECT pg_database_size(current_database()) AS n");
    return row ? (*row)["n"].get<std::int64_t>() : 0;
  }

 private:
  void listen_loop();
  bool listen_once(PgConnection& conn);
  void dispatch(const std::string& payload);

  std::string url_;
  std::string instance_;  // this process's mark on its own announcements
  RemoteChanges changes_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable listening_changed_;
  bool listening_ = false;
  std::thread listener_;
};

// Reconnects after a lost connection. Whatever was announced meanwhile is
// lost, so a reconnect counts as a write by someone else (the page cache
// refills) and is reported as `missed` (multi-agent waits count afresh);
// parked long-polls still answer at their deadline.
void PgEngine::listen_loop() {
  bool listened = false;
  while (!stopping_) {
    try {
      PgConnection conn(url_);
      conn.exec_script(fmt::format("LISTEN {}", kChannel));
      if (changes_.wrote) changes_.wrote();
      if (listened) {
        log::get("store")->warn(
            "PostgreSQL listener reconnected; other processes' order changes meanwhile are unknown");
        if (changes_.missed) changes_.missed();
      }
      listened = true;
      {
        std::lock_guard lock(mutex_);
        listening_ = true;
      }
      listening_changed_.notify_all();
      while (!stopping_ && listen_once(conn)) {
      }
    } catch (const std::exception& e) {
      log::get("store")->warn("PostgreSQL listener: {}; reconnecting", e.what());
    }
    for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Waits up to 100 ms (so stop() is seen soon) for notifications and hands
// each on. False when the connection is lost.
bool PgEngine::listen_once(PgConnection& conn) {
  pollfd fd{PQsocket(conn.handle()), POLLIN, 0};
  if (fd.fd < 0) return false;
  if (::poll(&fd, 1, 100) < 0) return true;  // EINTR: go round again
  if (!PQconsumeInput(conn.handle())) return false;
  while (PGnotify* n = PQnotifies(conn.handle())) {
    std::string payload = n->extra;
    PQfreemem(n);
    dispatch(payload);
  }
  return PQstatus(conn.handle()) == CONNECTION_OK;
}

void PgEngine::dispatch(const std::string& payload) {
  std::istringstream words(payload);
  std::string sender;
  words >> sender;
  if (sender == instance_) return;  // this process already acted on its own change
  if (changes_.wrote) changes_.wrote();
  std::vector<std::string> agents;
  for (std::string id; words >> id;) {
    if (id.compare(0, kKeyRotated.size(), kKeyRotated) == 0) {
      if (changes_.key_rotated) changes_.key_rotated(id.substr(kKeyRotated.size()));
    } else {
      agents.push_back(id);
    }
  }
  if (!agents.empty() && changes_.orders_changed) changes_.orders_changed(agents);
}

}  // namespace

std::unique_ptr<StoreEngine> make_postgres_engine(const std::string& url) {
  return std::make_unique<PgEngine>(url);
}

}  // namespace gigent::server
