#pragma once
// The part of working an order that needs no marketplace: the prompt with its
// size checks, and the delivery made of the model's answer. The daemon
// (order_processor.cpp) and `gigent-runtime try` both go through these, so
// what `try` shows is what the daemon would deliver.
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "executor/llm_provider.h"

namespace gigent::engine {

struct PreparedCall {
  executor::LlmRequest request;
  long long prompt_tokens = 0;  // estimated as bytes/4
  // Not empty when the order must not be sent to the model: why, for the
  // operator, and in the buyer's terms.
  std::string refused;
  std::string for_buyer;
};

// The LLM request for `order` (its "brief" and "input_data"), with the
// seller's `operator_note` (`gigent-runtime regenerate --note`) when not
// empty; refused when the input cannot be used or the prompt passes
// execution.max_input_tokens.
PreparedCall prepare_call(const config::Config& config, const nlohmann::json& order,
                          const std::string& operator_note = "");

// The delivery_data of an answer: the truncation marker appended when the
// model stopped at max_tokens, then shaped as delivery.format.
nlohmann::json delivery_of(const config::Config& config, const executor::LlmResult& result);

// 1234567 → "1,234,567", for messages.
std::string format_count(long long n);

}  // namespace gigent::engine
