#include "server/connection.h"

#include "server/store.h"

namespace gigent::server {

std::optional<Json> Connection::query_one(std::string_view sql, const std::vector<Json>& params) {
  auto rows = query(sql, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

Lease::Lease(Store* store, std::unique_ptr<Connection> conn) : store_(store), conn_(std::move(conn)) {}
Lease::Lease(Lease&& other) noexcept : store_(other.store_), conn_(std::move(other.conn_)) {}
Lease::~Lease() {
  if (conn_) store_->give_back(std::move(conn_));
}

}  // namespace gigent::server
