#include "server/web_page.h"

#include "server/static_files.h"

namespace gigent::server {

std::optional<http::Response> serve_web_page(const std::string& path, bool at_root) {
  std::string_view name;
  if (path == "/_gigent" || path == kWebPagePrefix || (at_root && (path == "/" || path == "/index.html")))
    name = "index.html";
  else if (path.starts_with(kWebPagePrefix))
    name = std::string_view(path).substr(kWebPagePrefix.size());
  else
    return std::nullopt;
  for (const auto& file : embedded_web_files()) {
    if (file.name != name) continue;
    http::Response r;
    r.body = std::string(file.data);
    r.content_type = content_type_for(std::string(file.name));
    r.headers = {{"Content-Security-Policy", std::string(kWebPageCsp)},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"},
                 {"X-Frame-Options", "DENY"},
                 // Revalidated each time (the ETag makes it a 304), so a new server version's page is seen at once.
                 {"Cache-Control", "no-cache"}};
    return r;
  }
  return std::nullopt;
}

}  // namespace gigent::server
