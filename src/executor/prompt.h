#pragma once
// What the model is asked: the buyer's brief plus the order's input data.
// Everything here comes from a buyer and is bounded before it is decoded or
// rendered: a hostile order must fail alone, never take the daemon with it.
#include <cstddef>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gigent::executor {

// Input JSON nested deeper than this is refused, not parsed or rendered.
constexpr std::size_t kMaxInputDepth = 64;

// The order's input cannot be turned into a prompt (too deeply nested). The
// message is written for the buyer and the operator alike.
class InputRejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "## Brief\n<brief>\n\n## Input data\n```json\n<JSON>\n```".
// `input_data` may be an object/array, a JSON *string* holding JSON (decoded
// and shown as JSON), a plain string (shown as text), or null/empty (the
// input section is left out). JSON is indented when small (so the output
// stays within a small multiple of the input) and compact otherwise. Invalid
// UTF-8 is replaced, never thrown on. Throws InputRejected for JSON nested
// deeper than kMaxInputDepth.
std::string build_user_message(const std::string& brief, const nlohmann::json& input_data);

// Tokens a text of `bytes` bytes is taken to cost before it is sent: bytes/4
// rounded up (about what English and JSON average; an estimate, not a count).
inline long long estimate_tokens(std::size_t bytes) {
  return static_cast<long long>((bytes + 3) / 4);
}

}  // namespace gigent::executor
