#pragma once
// A built web front end served from a folder (`gigent-server --static DIR`),
// as the deployed service serves its public/ folder: files by path, and
// index.html for any other path so that the app's own router can take it.
#include <optional>
#include <string>

#include "http/server.h"

namespace gigent::server {

class StaticFiles {
 public:
  // `root` must be a readable folder; throws std::runtime_error with the reason.
  explicit StaticFiles(const std::string& root);

  // The answer for a GET or HEAD of `path` (already percent-decoded). A file
  // under the root is served with its Content-Type; a path that does not name
  // one gets index.html. Paths with "..", NUL bytes, or that resolve (through
  // symlinks) outside the root are a 404 and never read.
  http::Response serve(const std::string& path) const;

  const std::string& root() const { return root_; }

 private:
  std::optional<std::string> resolve(const std::string& path) const;
  std::string root_;  // canonical, without a trailing slash
};

// "text/html; charset=utf-8" for "index.html", ...; application/octet-stream when unknown.
std::string content_type_for(const std::string& file_name);

}  // namespace gigent::server
