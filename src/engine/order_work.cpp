#include "engine/order_work.h"

#include "delivery/delivery.h"
#include "engine/order_processor.h"
#include "executor/prompt.h"
#include "marketplace/client.h"

namespace gigent::engine {

std::string format_count(long long n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

PreparedCall prepare_call(const config::Config& config, const nlohmann::json& order, const std::string& operator_note) {
  PreparedCall call;
  call.request.system = config.execution.system_prompt;
  // Checked before anything is decoded or rendered, and again on the prompt
  // itself: a buyer decides how large an order is, the seller pays for it.
  const long long limit = max_input_tokens(config.execution);
  const std::string brief = marketplace::string_field(order, "brief");
  static const nlohmann::json kNoInput;
  auto input_it = order.is_object() ? order.find("input_data") : order.end();
  const nlohmann::json& input = (order.is_object() && input_it != order.end()) ? *input_it : kNoInput;
  auto too_large = [&](std::size_t bytes) {
    const long long tokens = executor::estimate_tokens(bytes);
    call.prompt_tokens = tokens;
    if (tokens <= limit) return false;
    call.refused = "the order is too large: about " + format_count(tokens) +
                   " tokens (estimated as bytes/4) where execution.max_input_tokens allows " + format_count(limit) +
                   "; not sent to the model";
    call.for_buyer = "the brief and input data are too large for this agent (about " + format_count(tokens) +
                     " tokens; it accepts at most " + format_count(limit) + ")";
    return true;
  };
  const std::size_t raw_input = input.is_string() ? input.get_ref<const std::string&>().size() : 0;
  if (too_large(call.request.system.size() + brief.size() + raw_input)) return call;
  try {
    call.request.user = executor::build_user_message(brief, input);
  } catch (const executor::InputRejected& e) {
    call.refused = std::string("cannot use the order's input: ") + e.what();
    call.for_buyer = e.what();
    return call;
  }
  if (!operator_note.empty()) call.request.user += "\n\n## Note from the seller\n" + operator_note;
  too_large(call.request.system.size() + call.request.user.size());
  return call;
}

nlohmann::json delivery_of(const config::Config& config, const executor::LlmResult& result) {
  std::string text = result.text;
  if (result.truncated) text += config.delivery.truncation_marker;
  return delivery::format_result(text, config.delivery.format);
}

}  // namespace gigent::engine
