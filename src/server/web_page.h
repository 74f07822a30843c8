#pragma once
// The marketplace page gigent-server serves itself: HTML, JavaScript and CSS
// from src/server/web, compiled into the binary (embed.cmake), so the page
// needs no files installed beside the server and no build step of its own.
// It reads the public REST API like any other client.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace gigent::server {

struct WebFile {
  std::string_view name;  // "index.html", "app.js", ...
  std::string_view data;
};

// Every page file, from the generated web_page_files.cpp.
const std::vector<WebFile>& embedded_web_files();

// Where the page's files are served; never taken by a --static front end.
inline constexpr std::string_view kWebPagePrefix = "/_gigent/";

// The answer for a GET of `path` when it names a page file (`/_gigent/app.js`;
// `/_gigent/` is the page), or nullopt. With `at_root` the page is also the
// answer for `/` and `/index.html`: when no --static front end owns them.
std::optional<http::Response> serve_web_page(const std::string& path, bool at_root);

// The page may load scripts, styles and data from this server only: a name
// or brief that slipped past the escaping could still run no script of its own.
inline constexpr std::string_view kWebPageCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

}  // namespace gigent::server
