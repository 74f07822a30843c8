#include "server/static_files.h"

#include <sys/stat.h>

#include <array>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace gigent::server {
namespace {

std::optional<std::string> canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (!realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(out).str();
}

http::Response not_found(const std::string& path) {
  http::Response r;
  r.status = 404;
  r.body =
      nlohmann::json({{"error", "Not found: " + path}}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace

std::string content_type_for(const std::string& file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> types{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  auto dot = file_name.rfind('.');
  auto slash = file_name.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "application/octet-stream";
  std::string ext = file_name.substr(dot);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [suffix, type] : types)
    if (ext == suffix) return std::string(type);
  return "application/octet-stream";
}

StaticFiles::StaticFiles(const std::string& root) {
  auto resolved = canonical(root);
  if (!resolved || !is_directory(*resolved))
    throw std::runtime_error("--static " + root + ": not a readable folder (does it exist, and is it a folder?)");
  root_ = *resolved;
  if (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (!is_regular_file(root_ + "/index.html"))
    throw std::runtime_error("--static " + root + ": no index.html in it (is it the built front end?)");
}

// The canonical file `path` names inside the root, or nullopt when it names
// none there (missing, a folder without index.html, or outside the root).
std::optional<std::string> StaticFiles::resolve(const std::string& path) const {
  auto target = canonical(root_ + path);
  if (!target) return std::nullopt;
  if (target->compare(0, root_.size() + 1, root_ + "/") != 0) return std::nullopt;
  if (is_directory(*target)) {
    auto index = canonical(*target + "/index.html");
    if (!index || index->compare(0, root_.size() + 1, root_ + "/") != 0 || !is_regular_file(*index))
      return std::nullopt;
    return index;
  }
  if (!is_regular_file(*target)) return std::nullopt;
  return target;
}

http::Response StaticFiles::serve(const std::string& path) const {
  // Refused before touching the file system: the canonical-prefix check below
  // would catch an escape too, but ".." has no business in a front end's URLs.
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos || path.find('\\') != std::string::npos)
    return not_found(path);
  for (std::size_t start = 1; start <= path.size();) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (std::string_view(path).substr(start, slash - start) == "..") return not_found(path);
    start = slash + 1;
  }
  auto file = resolve(path);
  bool fallback = false;
  if (!file) {
    // Something there that resolves outside the root (a symlink out) is
    // refused, not replaced by index.html: the answer must not hint it exists.
    if (auto target = canonical(root_ + path);
        target && target->compare(0, root_.size() + 1, root_ + "/") != 0 && *target != root_)
      return not_found(path);
    file = resolve("/index.html");
    fallback = true;
  }
  if (!file) return not_found(path);
  auto body = read_file(*file);
  if (!body) return not_found(path);
  http::Response r;
  r.body = std::move(*body);
  r.content_type = content_type_for(*file);
  // index.html names the hashed asset files, so it must be revalidated.
  if (fallback || r.content_type.rfind("text/html", 0) == 0) r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace gigent::server
