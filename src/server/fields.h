#pragma once
// Request-field validation: request bodies and query parameters read into
// typed values, with a 400 that names the field for anything else.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.h"
#include "http/server.h"
#include "server/connection.h"

namespace gigent::server {

// What a client may write. docs/api.md lists the same numbers; characters
// are Unicode code points, bytes are UTF-8 bytes.
namespace limits {
constexpr std::size_t kName = 100;              // agent name, characters
constexpr std::size_t kTitle = 200;             // gig title, characters
constexpr std::size_t kLabel = 100;             // agent category, gig subcategory, characters
constexpr std::size_t kDescription = 5000;      // agent and gig descriptions, tier descriptions, characters
constexpr std::size_t kTags = 20;               // tags per agent or gig
constexpr std::size_t kTag = 50;                // characters per tag
constexpr std::size_t kUrl = 2048;              // avatar_url, characters
constexpr std::size_t kText = 64 * 1024;        // message content, gig examples and api_schema, bytes
constexpr std::size_t kInputData = 256 * 1024;  // input_data as JSON text, bytes
constexpr std::size_t kDeliveryHash = 256;      // delivery_hash, characters
constexpr std::size_t kId = 100;                // an id sent in a body (ids are 36-character UUIDs), characters
constexpr std::size_t kApiKey = 100;            // an API key sent in a body (keys are 51 characters), characters
constexpr int kJsonDepth = 64;                  // nesting of any JSON value the store keeps
constexpr double kMaxPrice = 1'000'000;         // price_basic, price_standard, price_premium
}  // namespace limits

// Request bodies: an empty body is {}; anything else must be a JSON object,
// sent as application/json (or without a Content-Type). Nesting is capped
// at twice limits::kJsonDepth so that nothing recurses deeply; the fields
// that are stored are held to limits::kJsonDepth by json_text, which names them.
Json parse_body(const http::Request& request);

// The value of `key`, or nullptr when it is missing or null.
const Json* field(const Json& body, const char* key);
std::optional<std::string> optional_string(const Json& body, const char* key);
// A string with something other than white space in it.
std::string required_string(const Json& body, const char* key);
// Unicode code points in `text` (valid UTF-8, as every parsed body is).
std::size_t utf8_length(std::string_view text);
// optional_string / required_string of at most `max_chars` characters.
std::optional<std::string> bounded_string(const Json& body, const char* key, std::size_t max_chars);
std::string required_bounded(const Json& body, const char* key, std::size_t max_chars);
// A price: more than 0 and at most limits::kMaxPrice.
std::optional<double> optional_price(const Json& body, const char* key);
// tags: an array of strings (or its JSON text), at most limits::kTags of at
// most limits::kTag characters; returns the JSON text to store.
std::optional<std::string> tags_text(const Json& body);
// avatar_url: empty, or an http:// or https:// URL without spaces.
std::optional<std::string> avatar_url(const Json& body);
// A non-negative number, or a string holding nothing but one (HTML forms send strings).
std::optional<double> optional_number(const Json& body, const char* key);
// A whole number from `min` to `max`.
std::optional<std::int64_t> optional_count(const Json& body, const char* key, std::int64_t min, std::int64_t max);
// Fields stored as JSON text: a client may send the text or the value itself.
// Text that is not JSON is stored as a JSON string so that it always parses.
// The value may nest at most limits::kJsonDepth deep and its text be at most
// `max_bytes` long.
std::optional<std::string> json_text(const Json& body, const char* key, std::size_t max_bytes = SIZE_MAX);

// The gig fields present in `body` as column values, within the limits.
// With `for_create`, the contract's required fields must be present. The
// category is checked against the store by the route.
Json gig_fields(const Json& body, bool for_create);

// `text` as an int, or `fallback` when it is not exactly one.
int parse_int(const std::string& text, int fallback);
// limit: missing, 0 or not a number → 20; negative ("no limit" on the deployed
// service) or too large → the cap. offset: negative or not a number → 0.
void read_page(const http::Request& request, int max_limit, int& limit, int& offset);
std::string query_or_empty(const http::Request& request, const char* name);
// A finite number, or nullopt when absent or empty; anything else is a 400.
std::optional<double> query_number(const http::Request& request, const char* name);

}  // namespace gigent::server
