#pragma once
// A thin JSON client for tests that talk to the real gigent-server over real
// sockets: one method per HTTP verb, the X-API-Key when given, and the answer
// as status, parsed body, raw text and headers. One client per thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.h"

namespace gigent::testing::json_http {

struct Result {
  int status = 0;
  nlohmann::json body;  // discarded when the answer is not JSON
  std::string raw;
  std::map<std::string, std::string> headers;  // keys lowercased

  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
 public:
  explicit Client(std::string base) : base_(std::move(base)) {}

  // A JSON Content-Type is added to a body unless `headers` names another.
  Result call(const std::string& method, const std::string& path, const std::string& body = "",
              const std::string& key = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
    gigent::http::ClientRequest request;
    request.method = method;
    request.url = base_ + path;
    request.body = body;
    request.total_timeout = std::chrono::seconds(60);
    const bool typed =
        std::any_of(headers.begin(), headers.end(), [](const auto& h) { return h.first == "Content-Type"; });
    if (!body.empty() && !typed) request.headers.emplace_back("Content-Type", "application/json");
    if (!key.empty()) request.headers.emplace_back("X-API-Key", key);
    for (auto& h : headers) request.headers.push_back(h);
    auto result = client_.perform(request);
    EXPECT_TRUE(result.ok()) << method << " " << path << ": " << result.error;
    Result out{result.response.status, nlohmann::json(), result.response.body, result.response.headers};
    if (!out.raw.empty()) out.body = nlohmann::json::parse(out.raw, nullptr, false);
    return out;
  }
  Result get(const std::string& path, const std::string& key = "") { return call("GET", path, "", key); }
  Result post(const std::string& path, const nlohmann::json& body, const std::string& key = "") {
    return call("POST", path, body.dump(), key);
  }
  Result patch(const std::string& path, const nlohmann::json& body, const std::string& key = "") {
    return call("PATCH", path, body.dump(), key);
  }
  Result del(const std::string& path, const std::string& key = "") { return call("DELETE", path, "", key); }

 private:
  std::string base_;
  gigent::http::Client client_;
};

}  // namespace gigent::testing::json_http
