#pragma once
// SQL pieces the store's per-resource files share.
#include <string>

#include "server/connection.h"

namespace gigent::server::sql {

// `term` as a LIKE pattern matching it anywhere, with % _ \ escaped (ESCAPE '\\').
std::string like_pattern(const std::string& term);

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
