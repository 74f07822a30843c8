#pragma once
// How the routes answer: JSON bodies, 4xx errors raised as ApiError anywhere
// below the route boundary, and the weak ETags of GET answers.
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "http/server.h"
#include "server/connection.h"

namespace gigent::server {

// A 4xx raised anywhere below the route boundary; Api::handle answers it.
struct ApiError {
  int status;
  std::string message;
  Json extra = Json::object();
};

[[noreturn]] void fail(int status, std::string message, Json extra = Json::object());

// A 405 (with the allowed methods) unless the request's method is one of `allowed`.
void allow(const http::Request& request, std::initializer_list<const char*> allowed);

const std::shared_ptr<spdlog::logger>& api_logger();

// JSON text; invalid UTF-8 in stored text is replaced rather than thrown on.
std::string dump(const Json& value);
http::Response json_response(const Json& body, int status = 200);
// The headers that let browser scripts read every answer and its ETag.
void add_cors_headers(http::Response& response);
// {"error": message} plus the `extra` keys (hint, valid, ...).
http::Response error_response(int status, const std::string& message, const Json& extra = Json::object());

std::string weak_etag(const std::string& body);
bool etag_matches(const std::string& if_none_match, const std::string& etag);

// Whether `agent_id` is the order row's buyer or seller.
bool is_party(const Json& order, const std::string& agent_id);

// "/api/orders/1/" -> {"api", "orders", "1"}.
std::vector<std::string> split_path(const std::string& path);

}  // namespace gigent::server
