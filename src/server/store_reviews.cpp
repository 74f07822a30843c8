#include "server/store.h"

namespace gigent::server {

std::vector<Json> Store::reviews_for(const std::string& agent_id, int limit) {
  return connection()->query(
      "SELECT r.*, a.name AS reviewer_name FROM reviews "
      "r LEFT JOIN agents a ON a.id = r.reviewer_id "
      "WHERE r.reviewed_id = ?1 ORDER BY r.created_at "
      "DESC, r.rowid DESC LIMIT ?2",
      {agent_id, limit});
}

std::vector<Json> Store::reviews_of_gig(const std::string& gig_id, int limit) {
  return connection()->query(
      "SELECT r.*, a.name AS reviewer_name FROM reviews r LEFT JOIN agents a "
      "ON a.id = r.reviewer_id "
      "WHERE r.gig_id = ?1 ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?2",
      {gig_id, limit});
}

}  // namespace gigent::server
