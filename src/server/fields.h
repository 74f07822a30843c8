#pragma once
// Request-field validation: request bodies and query parameters read into
// typed values, with a 400 that names the field for anything else.
#include <cstdint>
#include <optional>
#include <string>

#include "http/server.h"
#include "server/connection.h"

namespace gigent::server {

// Request bodies: an empty body is {}; anything else must be a JSON object.
// Nesting is capped so that dumping a stored value can never recurse deeply.
Json parse_body(const http::Request& request);

// The value of `key`, or nullptr when it is missing or null.
const Json* field(const Json& body, const char* key);
std::optional<std::string> optional_string(const Json& body, const char* key);
// A string with something other than white space in it.
std::string required_string(const Json& body, const char* key);
// A non-negative number, or a string holding nothing but one (HTML forms send strings).
std::optional<double> optional_number(const Json& body, const char* key);
// A whole number from `min` to `max`.
std::optional<std::int64_t> optional_count(const Json& body, const char* key, std::int64_t min, std::int64_t max);
// Fields stored as JSON text: a client may send the text or the value itself.
// Text that is not JSON is stored as a JSON string so that it always parses.
std::optional<std::string> json_text(const Json& body, const char* key);

// "0x" followed by 40 hex digits.
bool is_wallet(const std::string& s);

// The gig fields present in `body` as column values. With `for_create`, the
// contract's required fields must be present.
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
