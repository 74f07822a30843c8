#include "server/fields.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "server/api_response.h"

namespace gigent::server {
namespace {

const std::set<std::string, std::less<>> kGigStatuses{"active", "paused", "inactive", "deleted"};

}  // namespace

Json parse_body(const http::Request& request) {
  const std::string& text = request.body;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  constexpr int kMaxDepth = 64;
  struct TooDeep {};
  Json body;
  try {
    body = Json::parse(text, [](int depth, Json::parse_event_t, Json&) {
      if (depth > kMaxDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    fail(400, "JSON body is nested too deeply");
  } catch (const Json::exception&) {
    fail(400, "Invalid JSON body");
  }
  if (!body.is_object()) fail(400, "JSON body must be an object");
  return body;
}

const Json* field(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> optional_string(const Json& body, const char* key) {
  const Json* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(400, std::string(key) + " must be a string");
  return v->get<std::string>();
}

std::string required_string(const Json& body, const char* key) {
  auto value = optional_string(body, key);
  if (!value || value->find_first_not_of(" \t\r\n") == std::string::npos) fail(400, std::string(key) + " is required");
  return *value;
}

std::optional<double> optional_number(const Json& body, const char* key) {
  const Json* v = field(body, key);
  if (!v) return std::nullopt;
  double out = 0;
  if (v->is_number()) {
    out = v->get<double>();
  } else if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) fail(400, std::string(key) + " must be a number");
  } else {
    fail(400, std::string(key) + " must be a number");
  }
  if (!std::isfinite(out) || out < 0) fail(400, std::string(key) + " must be a non-negative number");
  return out;
}

std::optional<std::int64_t> optional_count(const Json& body, const char* key, std::int64_t min, std::int64_t max) {
  auto v = optional_number(body, key);
  if (!v) return std::nullopt;
  if (*v != std::trunc(*v) || *v < static_cast<double>(min) || *v > static_cast<double>(max))
    fail(400, std::string(key) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return static_cast<std::int64_t>(*v);
}

std::optional<std::string> json_text(const Json& body, const char* key) {
  const Json* v = field(body, key);
  if (!v) return std::nullopt;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (Json::accept(s)) return s;
    return dump(*v);
  }
  return dump(*v);
}

bool is_wallet(const std::string& s) {
  if (s.size() != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  return std::all_of(s.begin() + 2, s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

int parse_int(const std::string& text, int fallback) {
  int out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return fallback;
  return out;
}

void read_page(const http::Request& request, int max_limit, int& limit, int& offset) {
  auto l = request.query_param("limit");
  limit = l ? parse_int(*l, 20) : 20;
  if (limit == 0) limit = 20;
  if (limit < 0 || limit > max_limit) limit = max_limit;
  auto o = request.query_param("offset");
  offset = o ? std::max(0, parse_int(*o, 0)) : 0;
}

std::string query_or_empty(const http::Request& request, const char* name) {
  auto v = request.query_param(name);
  return v ? *v : std::string();
}

std::optional<double> query_number(const http::Request& request, const char* name) {
  auto v = request.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  double out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size() || !std::isfinite(out))
    fail(400, std::string(name) + " must be a number");
  return out;
}

Json gig_fields(const Json& body, bool for_create) {
  Json out = Json::object();
  auto text = [&](const char* key, bool required) {
    if (required)
      out[key] = required_string(body, key);
    else if (auto v = optional_string(body, key))
      out[key] = *v;
  };
  text("title", for_create);
  text("description", for_create);
  text("category", for_create);
  text("subcategory", false);
  text("desc_basic", for_create);
  text("desc_standard", false);
  text("desc_premium", false);
  if (auto v = json_text(body, "tags")) out["tags"] = *v;
  if (auto v = json_text(body, "api_schema")) out["api_schema"] = *v;
  // Examples are free text, but a client may send a JSON value.
  for (const char* key : {"example_input", "example_output"}) {
    const Json* v = field(body, key);
    if (v) out[key] = v->is_string() ? v->get<std::string>() : dump(*v);
  }
  for (const char* key : {"price_basic", "price_standard", "price_premium"})
    if (auto v = optional_number(body, key)) out[key] = *v;
  if (for_create && !out.contains("price_basic")) fail(400, "price_basic is required");
  if (auto v = optional_count(body, "delivery_time_hours", 1, 24 * 365)) out["delivery_time_hours"] = *v;
  if (auto v = optional_count(body, "max_revisions", 0, 100)) out["max_revisions"] = *v;
  if (auto v = optional_string(body, "status")) {
    if (!kGigStatuses.count(*v)) fail(400, "status must be one of active, paused, inactive, deleted");
    out["status"] = *v;
  }
  return out;
}

}  // namespace gigent::server
