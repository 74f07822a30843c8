#pragma once
// The part of working an order that needs no marketplace: the prompt (the
// gig's and tier's settings, the buyer's words, a revision round) with its
// size checks, the output_schema check with its one corrective turn, and the
// delivery made of the model's answer. The daemon (order_processor.cpp) and
// `gigent-runtime try` both go through these, so what `try` shows is what the
// daemon would deliver.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "executor/llm_provider.h"

namespace gigent::engine {

struct PreparedCall {
  executor::LlmRequest request;
  long long prompt_tokens = 0;  // estimated as bytes/4
  int max_tokens = 0;           // the call's own limit: the gig's, else execution.max_tokens
  // Not empty when the order must not be sent to the model: why, for the
  // operator, and in the buyer's terms.
  std::string refused;
  std::string for_buyer;
};

// The LLM request for the order `row` as the backend shows it (brief,
// input_data, gig_title, tier, messages; for revision `round` > 0 also its
// last delivery), with the seller's `operator_note` (`gigent-runtime
// regenerate --note`) when not empty; refused when the input cannot be used
// or the prompt passes execution.max_input_tokens.
PreparedCall prepare_call(const config::Config& config, const nlohmann::json& row, int round = 0,
                          const std::string& operator_note = "");

// Each way the order's input_data fails its gig's input_schema (text that is
// not JSON included); empty when it passes or the gig has no schema.
std::vector<std::string> input_problems(const config::Config& config, const nlohmann::json& row);

// Sends a request to the model; nullopt when the call failed (the caller has
// dealt with that already).
using AskModel = std::function<std::optional<executor::LlmResult>(const executor::LlmRequest&)>;

struct OutputCheck {
  bool ok = true;          // `result` may be delivered
  bool corrected = false;  // after one corrective turn
  std::string failure;     // set when the reply still fails: for the operator
  std::string for_buyer;   // and in the buyer's terms
};

// With delivery.format json and the gig's output_schema: the reply must parse
// and satisfy the schema; if not, the model gets one corrective turn quoting
// the problems, and `result` becomes that answer (both calls' usage summed).
// Not ok with an empty failure when the corrective call itself failed.
OutputCheck check_output(const config::Config& config, const nlohmann::json& row, const executor::LlmRequest& asked,
                         executor::LlmResult& result, const AskModel& ask);

// The delivery_data of an answer: the truncation marker appended when the
// model stopped at max_tokens, then shaped as delivery.format.
nlohmann::json delivery_of(const config::Config& config, const executor::LlmResult& result);

// 1234567 → "1,234,567", for messages.
std::string format_count(long long n);

// The items with `separator` between them.
std::string joined(const std::vector<std::string>& items, const char* separator);

}  // namespace gigent::engine
