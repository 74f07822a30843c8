#pragma once
// What differs between the Anthropic Messages API and the OpenAI Chat
// Completions API, one Dialect each: how a caller authenticates, what a valid
// request is, and the shape of success and error bodies. The emulator's
// request handling is written once against this interface.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/server.h"

namespace gigent::llm_emulator {

// What a valid request asked for.
struct ParsedRequest {
  std::string model;
  long long max_tokens = 0;  // 0: not given (OpenAI allows that)
  std::string last_user_text;
  std::string all_text;        // system + every message, for the input token count
  bool stream = false;         // "stream": true
  bool include_usage = false;  // OpenAI's stream_options.include_usage
};

// An error as the API reports it; `param` and `code` are OpenAI's
// error.param and error.code (empty: null), unused by Anthropic.
struct ApiError {
  int status = 400;
  std::string type;
  std::string message;
  std::string param;
  std::string code;
};

// The model's reply before it is wrapped in the API's success body.
struct Completion {
  std::string text;
  bool hit_max_tokens = false;
  long long output_tokens = 0;
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string name() const = 0;  // "anthropic" | "openai"
  virtual std::string request_id(std::uint64_t serial) const = 0;
  virtual std::string message_id(std::uint64_t serial) const = 0;
  // The request-id header (and any other per-response header the API always sends).
  virtual void add_id_headers(http::Response& response, const std::string& request_id) const = 0;

  // The refusal the API sends before reading the body: a missing or wrong key
  // (when `expected_key` is not empty), or a missing required header.
  virtual std::optional<ApiError> refuse(const http::Request& request, const std::string& expected_key) const = 0;
  // The body parsed and checked as the API does; the error it would send otherwise.
  virtual std::variant<ParsedRequest, ApiError> validate(const std::string& body) const = 0;

  virtual nlohmann::json success(const std::string& id, const ParsedRequest& request,
                                 const Completion& completion) const = 0;
  virtual http::Response error(const ApiError& error, const std::string& request_id) const = 0;
  // A success body cut off mid-way, as a broken proxy would deliver it.
  virtual std::string malformed_body(const std::string& id) const = 0;

  // The error the API sends for a scripted fault ("rate_limit", "server_error",
  // "overloaded", "billing"), and for "error" with any status.
  virtual ApiError fault(const std::string& kind) const = 0;
  virtual ApiError status_error(int status) const = 0;

  // A streamed answer as the API sends it: every server-sent event, each
  // complete with its blank line. The text goes out in several deltas.
  virtual std::vector<std::string> stream_events(const std::string& id, const ParsedRequest& request,
                                                 const Completion& completion) const = 0;
  // The event a stream ends with when the API fails mid-way.
  virtual std::string stream_error_event(const ApiError& error) const = 0;
};

const Dialect& anthropic_dialect();
const Dialect& openai_dialect();

// ---- shared by both dialects -----------------------------------------------------

// Text of a message content: a string or a list of text blocks.
std::string content_text(const nlohmann::json& content);
// A string, or a list of objects each with a string "type".
bool valid_content(const nlohmann::json& content);
// The message every status gets when a script does not name one.
std::string default_error_message(int status);
http::Response json_response(int status, const nlohmann::json& body);
// `text` cut into the pieces a stream sends it in: a few words each, never
// inside a UTF-8 sequence; concatenated they are `text` again.
std::vector<std::string> stream_pieces(const std::string& text);
// "data: <json>\n\n", with "event: <name>\n" first when `name` is not empty.
std::string sse_event(const std::string& name, const nlohmann::json& data);
// The serial number of a request, zero-padded to 16 digits, for ids.
std::string padded_serial(std::uint64_t serial);

}  // namespace gigent::llm_emulator
