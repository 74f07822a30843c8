// The marketplace's home page, search and statistics (public).
#include "server/api.h"
#include "server/api_response.h"
#include "server/fields.h"

namespace gigent::server {

http::Response Api::route_marketplace(const http::Request& request, const std::vector<std::string>& parts) {
  if (parts.size() == 3) {
    const std::string& what = parts[2];
    if (what == "featured" || what == "search" || what == "stats") {
      allow(request, {"GET"});
      if (what == "featured") return json_response(store_.featured());
      if (what == "stats") return json_response(store_.marketplace_stats());
      std::string q = query_or_empty(request, "q");
      if (q.find_first_not_of(" \t\r\n") == std::string::npos) fail(400, "Query parameter \"q\" required");
      return json_response(store_.search(q));
    }
  }
  fail(404, "Not found: " + request.method + " " + request.path);
}

}  // namespace gigent::server
