#include "server/store_sql.h"

namespace gigent::server::sql {

std::string like_pattern(const std::string& term) {
  std::string out = "%";
  for (char c : term) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

Json public_agent(Json row) {
  row.erase("api_key_hash");
  // SQLite gives the comparison as 0/1, PostgreSQL as a boolean.
  if (auto it = row.find("is_online"); it != row.end() && !it->is_boolean())
    *it = it->is_number() && it->get<std::int64_t>() != 0;
  return row;
}

}  // namespace gigent::server::sql
