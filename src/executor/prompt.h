#pragma once
// What the model is asked: the buyer's brief plus the order's input data.
// Everything here comes from a buyer and is bounded before it is decoded or
// rendered: a hostile order must fail alone, never take the daemon with it.
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "executor/llm_provider.h"

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

// What the buyer said on the order, read from its messages (oldest first).
struct BuyerWords {
  // Messages posted for the original work (before the first delivery):
  // clarifications, part of every prompt for the order.
  std::vector<std::string> clarifications;
  // What the buyer asks to change since the last delivery: its
  // `revision_request` messages, else its newest other messages. Empty when
  // the buyer said nothing.
  std::vector<std::string> revision_request;
};

// Sorts an order's `messages` (as GET /api/orders/:id returns them) by what
// they are for. A message is the buyer's when its sender is `buyer_id`; a
// delivery is a `delivery` message from anyone else.
// The first delivery of an order is announced by no message: then messages
// after `delivered_at` (the order's own stamp, "YYYY-MM-DD HH:MM:SS") count as
// sent since the delivery. One posted in the same second counts as before it:
// a buyer reads a delivery before asking for changes.
BuyerWords read_buyer_words(const nlohmann::json& messages, const std::string& buyer_id,
                            const std::string& delivered_at = "");

// The text of a `delivery_data` (an object or JSON text): its `content`, or
// its `result` (JSON shown indented); the raw text when neither is there.
std::string delivered_text(const nlohmann::json& delivery_data);

// One revision round: what was delivered last and what the buyer asks.
struct RevisionRound {
  int round = 1;  // 1 for the first revision
  std::string previous_delivery = {};
  std::vector<std::string> request = {};  // the buyer's words; empty: none given
};

// Everything one LLM call for an order is built from.
struct OrderPrompt {
  const nlohmann::json* order = nullptr;    // the order row: brief, input_data, tier
  const config::Gig* gig = nullptr;         // the config's gig; nullptr when the order's gig is not in the file
  config::ExecutionSection execution = {};  // the top-level execution settings (the gig's are merged here)
  config::DeliveryFormat format = config::DeliveryFormat::Markdown;
  std::vector<std::string> clarifications = {};
  std::optional<RevisionRound> revision = std::nullopt;
};

// THE prompt of an order (every caller that asks a model about an order uses
// this one function): the system prompt (the gig's or the top-level one, the
// tier's instructions, the gig's worked example, the output schema), the
// turns (brief with tier, input and the buyer's clarifications; for a
// revision the previous delivery as the model's own turn and the buyer's
// request) and the merged model, max_tokens and temperature. Throws
// InputRejected for input JSON nested deeper than kMaxInputDepth.
LlmRequest build_order_request(const OrderPrompt& prompt);

// `asked` continued with the reply that failed the output schema and a turn
// quoting each problem, asking for the corrected JSON only.
LlmRequest correction_request(const LlmRequest& asked, const std::string& reply,
                              const std::vector<std::string>& problems);

// Tokens a text of `bytes` bytes is taken to cost before it is sent: bytes/4
// rounded up (about what English and JSON average; an estimate, not a count).
inline long long estimate_tokens(std::size_t bytes) {
  return static_cast<long long>((bytes + 3) / 4);
}

}  // namespace gigent::executor
