#include "common/secret.h"
#include "server/store.h"

namespace gigent::server {

std::vector<Json> Store::messages(const std::string& order_id) {
  return connection()->query("SELECT * FROM messages WHERE order_id = ?1 ORDER BY created_at ASC, rowid ASC",
                             {order_id});
}

Json Store::add_message(const std::string& order_id, const std::string& sender_id, const std::string& content,
                        const std::string& message_type) {
  Json row;
  write([&](Connection& conn) {
    row = *conn.query_one(
        "INSERT INTO messages (id, order_id, sender_id, content, message_type) "
        "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING *",
        {uuid_v4(), order_id, sender_id, content, message_type});
  });
  return row;
}

}  // namespace gigent::server
