#include "server/store_sql.h"

#include <algorithm>

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

void in_list(std::string& sql, std::vector<Json>& params, const std::vector<std::string>& values) {
  std::size_t padded = 1;
  while (padded < values.size()) padded *= 2;
  for (std::size_t i = 0; i < padded; ++i) {
    params.emplace_back(values[std::min(i, values.size() - 1)]);
    sql += (i ? ", ?" : "?") + std::to_string(params.size());
  }
}

Json public_agent(Json row) {
  row.erase("api_key_hash");
  // SQLite gives the comparison as 0/1, PostgreSQL as a boolean.
  if (auto it = row.find("is_online"); it != row.end() && !it->is_boolean())
    *it = it->is_number() && it->get<std::int64_t>() != 0;
  return row;
}

}  // namespace gigent::server::sql
