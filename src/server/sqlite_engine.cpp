// The SQLite engine of the store (store_engine.h).
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <sqlite3.h>

#include "server/schema.h"
#include "server/sqlite_connection.h"
#include "server/store_engine.h"

namespace gigent::server {
namespace {

class SqliteEngine final : public StoreEngine {
 public:
  explicit SqliteEngine(std::string path) : path_(std::move(path)) {}
  ~SqliteEngine() override { stop(); }
  SqliteEngine(const SqliteEngine&) = delete;
  SqliteEngine& operator=(const SqliteEngine&) = delete;

  std::unique_ptr<Connection> open() override { return std::make_unique<SqliteConnection>(path_); }

  void create_schema(Connection& conn) override {
    conn.exec_script("PRAGMA journal_mode = WAL;");
    server::create_schema(conn);
  }

  void begin_write(Connection& conn) override { conn.execute("BEGIN IMMEDIATE"); }

  void start(RemoteChanges /*changes: one process per file, nothing comes from elsewhere*/) override {
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  std::int64_t size_bytes(Connection& conn) override {
    auto row = conn.query_one("SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()");
    return row ? (*row)["n"].get<std::int64_t>() : 0;
  }

 private:
  // Copies the WAL back into the database off the request path. SQLite's own
  // automatic checkpoint would run inside whichever commit crosses the
  // threshold, fsync included, and every writer queued behind it would wait.
  // PASSIVE never takes the writer lock. The automatic one stays as a backstop
  // at a higher threshold (see SqliteConnection).
  void checkpoint_loop() {
    std::unique_ptr<SqliteConnection> conn;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; })) {
      try {
        if (!conn) conn = std::make_unique<SqliteConnection>(path_);
        sqlite3_wal_checkpoint_v2(conn->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      } catch (const std::exception&) {
        conn.reset();  // try again with a fresh connection next round
      }
    }
  }

  std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace

std::unique_ptr<StoreEngine> make_sqlite_engine(const std::string& path) {
  return std::make_unique<SqliteEngine>(path);
}

}  // namespace gigent::server
