#include "server/fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "common/json_depth.h"
#include "server/api_response.h"

namespace gigent::server {
namespace {

const std::set<std::string, std::less<>> kGigStatuses{"active", "paused", "inactive", "deleted"};

struct TooDeep {};

// Parses `text`, refusing (TooDeep) anything nested deeper than `max_depth`
// before the parser builds any of it.
Json parse_bounded(const std::string& text, int max_depth) {
  if (json_nesting_depth(text) > static_cast<std::size_t>(max_depth)) throw TooDeep{};
  return Json::parse(text);
}

bool is_json_media_type(std::string type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  type.erase(0, type.find_first_not_of(" \t"));
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

}  // namespace

Json parse_body(const http::Request& request) {
  const std::string& text = request.body;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  if (auto type = request.header("content-type"); type && !is_json_media_type(*type))
    fail(400, "Content-Type must be application/json, not " + type->substr(0, 100));
  Json body;
  try {
    body = parse_bounded(text, 2 * limits::kJsonDepth);
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

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<std::string> bounded_string(const Json& body, const char* key, std::size_t max_chars) {
  auto value = optional_string(body, key);
  if (value && utf8_length(*value) > max_chars)
    fail(400, std::string(key) + " must be at most " + std::to_string(max_chars) + " characters");
  return value;
}

std::string required_bounded(const Json& body, const char* key, std::size_t max_chars) {
  std::string value = required_string(body, key);
  if (utf8_length(value) > max_chars)
    fail(400, std::string(key) + " must be at most " + std::to_string(max_chars) + " characters");
  return value;
}

std::optional<double> optional_price(const Json& body, const char* key) {
  auto value = optional_number(body, key);
  if (value && (*value <= 0 || *value > limits::kMaxPrice))
    fail(400, std::string(key) + " must be more than 0 and at most " +
                  std::to_string(static_cast<long long>(limits::kMaxPrice)));
  return value;
}

std::optional<std::string> tags_text(const Json& body) {
  const Json* v = field(body, "tags");
  if (!v) return std::nullopt;
  Json tags = *v;
  if (v->is_string()) {
    try {
      tags = parse_bounded(v->get_ref<const std::string&>(), limits::kJsonDepth);
    } catch (...) {
      fail(400, "tags must be an array of strings");
    }
  }
  if (!tags.is_array() || !std::all_of(tags.begin(), tags.end(), [](const Json& t) { return t.is_string(); }))
    fail(400, "tags must be an array of strings");
  if (tags.size() > limits::kTags) fail(400, "tags must hold at most " + std::to_string(limits::kTags) + " tags");
  for (const auto& tag : tags)
    if (utf8_length(tag.get_ref<const std::string&>()) > limits::kTag)
      fail(400, "each tag must be at most " + std::to_string(limits::kTag) + " characters");
  // The text a client sent is kept as it was, like any JSON-in-text field.
  return v->is_string() ? v->get<std::string>() : dump(tags);
}

std::optional<std::string> avatar_url(const Json& body) {
  auto url = bounded_string(body, "avatar_url", limits::kUrl);
  if (!url || url->empty()) return url;
  std::string scheme = url->substr(0, url->find(':'));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool has_host = url->size() > scheme.size() + 3 && url->compare(scheme.size(), 3, "://") == 0;
  const bool clean = std::none_of(url->begin(), url->end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
  if ((scheme != "http" && scheme != "https") || !has_host || !clean)
    fail(400, "avatar_url must be an http:// or https:// URL");
  return url;
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

std::optional<std::string> json_text(const Json& body, const char* key, std::size_t max_bytes) {
  const Json* v = field(body, key);
  if (!v) return std::nullopt;
  std::string text;
  std::size_t depth = 0;
  if (v->is_string()) {
    // JSON held in a string is measured as JSON; other text is kept as a JSON
    // string, whatever brackets it contains. (accept builds no values.)
    const auto& s = v->get_ref<const std::string&>();
    if (Json::accept(s)) {
      text = s;
      depth = json_nesting_depth(s);
    } else {
      text = dump(*v);
    }
  } else {
    text = dump(*v);
    depth = json_nesting_depth(text);
  }
  if (depth > static_cast<std::size_t>(limits::kJsonDepth))
    fail(400, std::string(key) + " must not be nested deeper than " + std::to_string(limits::kJsonDepth) + " levels");
  if (text.size() > max_bytes)
    fail(400, std::string(key) + " must be at most " + std::to_string(max_bytes) + " bytes as JSON");
  return text;
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
  auto text = [&](const char* key, bool required, std::size_t max_chars) {
    if (required)
      out[key] = required_bounded(body, key, max_chars);
    else if (auto v = bounded_string(body, key, max_chars))
      out[key] = *v;
  };
  text("title", for_create, limits::kTitle);
  text("description", for_create, limits::kDescription);
  text("category", for_create, limits::kLabel);
  text("subcategory", false, limits::kLabel);
  text("desc_basic", for_create, limits::kDescription);
  text("desc_standard", false, limits::kDescription);
  text("desc_premium", false, limits::kDescription);
  if (auto v = tags_text(body)) out["tags"] = *v;
  if (auto v = json_text(body, "api_schema", limits::kText)) out["api_schema"] = *v;
  // Examples are free text, but a client may send a JSON value.
  for (const char* key : {"example_input", "example_output"}) {
    const Json* v = field(body, key);
    if (!v) continue;
    std::string example = v->is_string() ? v->get<std::string>() : dump(*v);
    if (example.size() > limits::kText)
      fail(400, std::string(key) + " must be at most " + std::to_string(limits::kText) + " bytes");
    out[key] = std::move(example);
  }
  for (const char* key : {"price_basic", "price_standard", "price_premium"})
    if (auto v = optional_price(body, key)) out[key] = *v;
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
