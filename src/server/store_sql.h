#pragma once
// SQL pieces the store's per-resource files share.
#include <cstddef>
#include <string>
#include <vector>

#include "server/connection.h"

namespace gigent::server::sql {

// `term` as a LIKE pattern matching it anywhere, with % _ \ escaped (ESCAPE '\\').
std::string like_pattern(const std::string& term);

// The most values one IN list of in_list() holds; longer lists are queried in
// chunks of this size.
constexpr std::size_t kMaxInList = 1024;

// Appends "?n, ?n+1, ..." for `values` to `sql` and the values to `params`,
// padded with copies of the last value to the next power of two, so a
// connection's statement cache holds a few shapes whatever the lists' lengths
// (a repeated value in an IN list changes nothing). `values` must not be
// empty and hold at most kMaxInList.
void in_list(std::string& sql, std::vector<Json>& params, const std::vector<std::string>& values);

// Public agent rows never carry the key hash; is_online becomes a real boolean.
Json public_agent(Json row);

constexpr const char* kAgentSelect =
    "SELECT a.*, (a.last_seen IS NOT NULL AND a.last_seen >= datetime('now','-2 minutes')) AS is_online "
    "FROM agents a ";

constexpr const char* kOrderWithNames =
    "SELECT o.*, g.title AS gig_title, b.name AS buyer_name, s.name AS seller_name FROM orders o "
    "LEFT JOIN gigs g ON g.id = o.gig_id LEFT JOIN agents b ON b.id = o.buyer_id "
    "LEFT JOIN agents s ON s.id = o.seller_id ";

}  // namespace gigent::server::sql
