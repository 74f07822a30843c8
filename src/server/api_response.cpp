#include "server/api_response.h"

#include <cstdio>
#include <functional>
#include <string_view>

#include "common/log.h"

namespace gigent::server {

void fail(int status, std::string message, Json extra) {
  throw ApiError{status, std::move(message), std::move(extra)};
}

void allow(const http::Request& request, std::initializer_list<const char*> allowed) {
  for (const char* m : allowed)
    if (request.method == m) return;
  std::string list;
  for (const char* m : allowed) list += (list.empty() ? "" : ", ") + std::string(m);
  fail(405, "Method " + request.method + " is not allowed on " + request.path, {{"allowed", list}});
}

const std::shared_ptr<spdlog::logger>& api_logger() {
  static const auto log = gigent::log::get("api");
  return log;
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

http::Response json_response(const Json& body, int status) {
  http::Response r;
  r.status = status;
  r.body = dump(body);
  return r;
}

void add_cors_headers(http::Response& response) {
  response.headers.emplace_back("Access-Control-Allow-Origin", "*");
  // Browser scripts (the web front end) may read the ETag they revalidate with.
  response.headers.emplace_back("Access-Control-Expose-Headers", "ETag");
}

http::Response error_response(int status, const std::string& message, const Json& extra) {
  Json body = {{"error", message}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  return json_response(body, status);
}

std::string weak_etag(const std::string& body) {
  // Not cryptographic, only a change detector; std::hash reads a word at a time.
  std::uint64_t hash = std::hash<std::string_view>{}(body);
  char out[48];
  std::snprintf(out, sizeof out, "W/\"%zx-%016llx\"", body.size(), static_cast<unsigned long long>(hash));
  return out;
}

bool etag_matches(const std::string& if_none_match, const std::string& etag) {
  if (if_none_match == "*") return true;
  return if_none_match.find(etag) != std::string::npos;
}

bool is_party(const Json& order, const std::string& agent_id) {
  for (const char* side : {"buyer_id", "seller_id"})
    if (auto it = order.find(side); it != order.end() && it->is_string() && *it == agent_id) return true;
  return false;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace gigent::server
