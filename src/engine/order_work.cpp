#include "engine/order_work.h"

#include "common/log.h"
#include "delivery/delivery.h"
#include "engine/order_processor.h"
#include "executor/json_check.h"
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

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

namespace {

executor::OrderPrompt order_prompt(const config::Config& config, const nlohmann::json& row, int round) {
  executor::OrderPrompt prompt;
  prompt.order = &row;
  prompt.gig = config::find_gig(config, marketplace::string_field(row, "gig_title"));
  prompt.execution = config.execution;
  prompt.format = config.delivery.format;
  static const nlohmann::json kNone;
  auto messages = row.is_object() ? row.find("messages") : row.end();
  const auto words =
      executor::read_buyer_words(messages != row.end() ? *messages : kNone, marketplace::string_field(row, "buyer_id"),
                                 marketplace::string_field(row, "delivered_at"));
  prompt.clarifications = words.clarifications;
  if (round > 0) {
    auto delivered = row.find("delivery_data");
    prompt.revision = executor::RevisionRound{
        round, executor::delivered_text(delivered != row.end() ? *delivered : kNone), words.revision_request};
  }
  return prompt;
}

}  // namespace

PreparedCall prepare_call(const config::Config& config, const nlohmann::json& row, int round,
                          const std::string& operator_note) {
  PreparedCall call;
  // Checked before anything is decoded or rendered, and again on the prompt
  // itself: a buyer decides how large an order is, the seller pays for it.
  const long long limit = max_input_tokens(config.execution);
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
  auto input_it = row.is_object() ? row.find("input_data") : row.end();
  const std::size_t raw_input =
      input_it != row.end() && input_it->is_string() ? input_it->get_ref<const std::string&>().size() : 0;
  if (too_large(config.execution.system_prompt.size() + marketplace::string_field(row, "brief").size() + raw_input))
    return call;
  try {
    call.request = executor::build_order_request(order_prompt(config, row, round));
  } catch (const executor::InputRejected& e) {
    call.refused = std::string("cannot use the order's input: ") + e.what();
    call.for_buyer = e.what();
    return call;
  }
  if (!operator_note.empty()) call.request.turns.back().content += "\n\n## Note from the seller\n" + operator_note;
  call.max_tokens = call.request.max_tokens.value_or(config.execution.max_tokens);
  too_large(call.request.text_bytes());
  return call;
}

std::vector<std::string> input_problems(const config::Config& config, const nlohmann::json& row) {
  const config::Gig* gig = config::find_gig(config, marketplace::string_field(row, "gig_title"));
  if (gig == nullptr || gig->input_schema.is_null()) return {};
  static const nlohmann::json kNoInput;
  auto input_it = row.is_object() ? row.find("input_data") : row.end();
  const auto input = executor::input_as_json(input_it != row.end() ? *input_it : kNoInput);
  if (!input) return {"the input data is text that is not JSON; expected a JSON document"};
  return executor::schema_problems(gig->input_schema, *input);
}

namespace {
std::vector<std::string> reply_problems(const nlohmann::json& schema, const std::string& reply) {
  auto parsed = executor::reply_as_json(reply);
  if (!parsed) return {"the reply is not a JSON document"};
  return executor::schema_problems(schema, *parsed);
}
}  // namespace

OutputCheck check_output(const config::Config& config, const nlohmann::json& row, const executor::LlmRequest& asked,
                         executor::LlmResult& result, const AskModel& ask) {
  OutputCheck check;
  const config::Gig* gig = config::find_gig(config, marketplace::string_field(row, "gig_title"));
  if (config.delivery.format != config::DeliveryFormat::Json || gig == nullptr || gig->output_schema.is_null())
    return check;
  auto problems = reply_problems(gig->output_schema, result.text);
  if (problems.empty()) return check;
  log::get("engine")->warn(
      "order {}: the reply does not satisfy the gig's output_schema ({}); asking once more, quoting the problems",
      marketplace::string_field(row, "id"), joined(problems, "; "));
  auto again = ask(executor::correction_request(asked, result.text, problems));
  check.ok = false;
  if (!again) return check;
  problems = reply_problems(gig->output_schema, again->text);
  if (!problems.empty()) {
    check.failure = "the model's reply does not satisfy the gig's output_schema, even after one correction: " +
                    joined(problems, "; ");
    check.for_buyer =
        "the result did not have the form this gig promises (" + joined(problems, "; ").substr(0, 300) + ")";
    return check;
  }
  check.ok = true;
  check.corrected = true;
  again->usage.input_tokens += result.usage.input_tokens;
  again->usage.output_tokens += result.usage.output_tokens;
  result = std::move(*again);
  return check;
}

nlohmann::json delivery_of(const config::Config& config, const executor::LlmResult& result) {
  std::string text = result.text;
  if (result.truncated) text += config.delivery.truncation_marker;
  return delivery::format_result(text, config.delivery.format);
}

}  // namespace gigent::engine
