#include "server/store.h"

#include <utility>

#include "server/pg_connection.h"

namespace gigent::server {

Store::Store(std::string path, std::size_t max_idle_connections)
    : path_(std::move(path)),
      postgres_(is_postgres_url(path_)),
      engine_(postgres_ ? make_postgres_engine(path_) : make_sqlite_engine(path_)),
      max_idle_(max_idle_connections) {
  auto conn = engine_->open();
  engine_->create_schema(*conn);
  give_back(std::move(conn));
  engine_->start({[this] { generation_.fetch_add(1, std::memory_order_acq_rel); },
                  [this](const std::vector<std::string>& ids) { remote_orders(ids); }, [this] { remote_missed(); },
                  [this](const std::string& agent_id) { forget_keys_of(agent_id); }});
}

Store::~Store() {
  engine_->stop();
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
  return Lease(this, engine_->open());
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
  engine_->begin_write(*conn);
  try {
    body(*conn);
    engine_->before_commit(*conn);
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

void Store::announce_orders(const std::vector<std::string>& agent_ids) {
  if (!postgres_ || agent_ids.empty()) return;
  engine_->announce_orders(*connection(), agent_ids);
}

void Store::set_order_listener(std::function<void(const std::vector<std::string>&)> listener) {
  std::lock_guard lock(listener_mutex_);
  order_listener_ = std::move(listener);
}

void Store::remote_orders(const std::vector<std::string>& agent_ids) {
  std::lock_guard lock(listener_mutex_);
  if (order_listener_) order_listener_(agent_ids);
}

void Store::set_missed_listener(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  missed_listener_ = std::move(listener);
}

void Store::remote_missed() {
  {
    // A rotation may have been among what was missed.
    std::unique_lock cache(key_cache_mutex_);
    key_cache_.clear();
    ++key_epoch_;
  }
  std::lock_guard lock(listener_mutex_);
  if (missed_listener_) missed_listener_();
}

std::int64_t Store::database_size_bytes() {
  return engine_->size_bytes(*connection());
}

Json Store::stats() {
  auto row = connection()->query_one(
      "SELECT (SELECT COUNT(*) FROM agents) AS agents, "
      "(SELECT COUNT(*) FROM gigs WHERE status = 'active') AS gigs, "
      "(SELECT COUNT(*) FROM orders) AS orders");
  return row ? *row : Json::object();
}

}  // namespace gigent::server
