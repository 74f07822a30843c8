#include "executor/prompt.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/json_depth.h"
#include "common/text.h"
#include "common/utf8.h"

namespace gigent::executor {

namespace {

bool is_empty_input(const nlohmann::json& value) {
  if (value.is_null()) return true;
  if (value.is_string()) return trim(value.get_ref<const std::string&>()).empty();
  if (value.is_object() || value.is_array()) return value.empty();
  return false;
}

// A code fence longer than any backtick run in `body`, so the body cannot close it.
std::string fence_for(const std::string& body) {
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

std::string fenced(const std::string& body, const std::string& language) {
  const std::string fence = fence_for(body);
  return fence + language + "\n" + body + "\n" + fence;
}

// Depth of an already-decoded value, walked without recursion.
std::size_t value_depth(const nlohmann::json& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> todo{{&root, 0}};
  while (!todo.empty()) {
    auto [value, depth] = todo.back();
    todo.pop_back();
    if (!value->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    if (deepest > kMaxInputDepth) return deepest;  // enough to refuse it
    for (const auto& child : *value) todo.emplace_back(&child, depth + 1);
  }
  return deepest;
}

void refuse_if_too_deep(std::size_t depth) {
  if (depth > kMaxInputDepth)
    throw InputRejected("the input data is JSON nested more than " + std::to_string(kMaxInputDepth) +
                        " levels deep, which this agent does not accept");
}

// A string member, or "" for a missing or mistyped one (rows are read, never trusted).
std::string string_or_empty(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The order's tier as the marketplace names it; basic when absent.
std::string marketplace_tier(const nlohmann::json& order) {
  const std::string tier = order.is_object() ? string_or_empty(order, "tier") : "";
  return tier == "standard" || tier == "premium" ? tier : "basic";
}

// Indentation repeats at every level on every line, so it is used only where
// it cannot multiply the size: small and shallow input. Larger input is shown
// compact, which the model reads as well.
constexpr std::size_t kIndentUpToBytes = 64 * 1024;
constexpr std::size_t kIndentUpToDepth = 16;

std::string render_json(const nlohmann::json& value, std::size_t depth) {
  std::string compact = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (compact.size() > kIndentUpToBytes || depth > kIndentUpToDepth) return compact;
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string build_user_message(const std::string& brief, const nlohmann::json& input_data) {
  std::string message = "## Brief\n";
  const std::string clean_brief = trim(sanitize_utf8(brief));
  message += clean_brief.empty() ? "(no brief given)" : clean_brief;

  std::string section;
  if (input_data.is_string()) {
    const std::string text = sanitize_utf8(input_data.get_ref<const std::string&>());
    const std::string trimmed = trim(text);
    const bool looks_structured = !trimmed.empty() && (trimmed.front() == '[' || trimmed.front() == '{');
    // Checked before parsing: the parser would build every level in memory.
    const std::size_t depth = looks_structured ? json_nesting_depth(trimmed) : 0;
    refuse_if_too_deep(depth);
    const auto decoded = looks_structured ? nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false)
                                          : nlohmann::json(nlohmann::json::value_t::discarded);
    if (!decoded.is_discarded() && (decoded.is_object() || decoded.is_array())) {
      if (!is_empty_input(decoded)) section = fenced(render_json(decoded, depth), "json");
    } else if (!trimmed.empty()) {
      // Plain text (or a bare JSON scalar): shown as the buyer wrote it.
      section = fenced(trimmed, "");
    }
  } else if (!is_empty_input(input_data)) {
    const std::size_t depth = value_depth(input_data);
    refuse_if_too_deep(depth);
    section = fenced(render_json(input_data, depth), "json");
  }
  if (!section.empty()) message += "\n\n## Input data\n" + section;
  return message;
}

}  // namespace gigent::executor

namespace gigent::executor {

namespace {

// A buyer's message quoted so that nothing in it reads as our instructions.
std::string quoted_buyer_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& text : words) {
    const std::string clean = trim(sanitize_utf8(text));
    if (clean.empty()) continue;
    if (!out.empty()) out += "\n";
    out += fenced(clean, "");
  }
  return out;
}

// The brief first (what the order is about), then which gig and tier it was
// bought as, then what the buyer added in messages.
std::string first_user_message(const OrderPrompt& prompt) {
  const nlohmann::json& order = *prompt.order;
  static const nlohmann::json kNoInput;
  const auto input = order.is_object() ? order.find("input_data") : order.end();
  std::string message = build_user_message(order.is_object() ? string_or_empty(order, "brief") : "",
                                           (order.is_object() && input != order.end()) ? *input : kNoInput);
  if (prompt.gig != nullptr) {
    const std::string tier_name = marketplace_tier(order);
    message += fmt::format("\n\n## Gig\n{}\n\n## Tier\n{}: {}", prompt.gig->title, tier_name,
                           trim(prompt.gig->tier(tier_name).description));
  }
  const std::string clarifications = quoted_buyer_words(prompt.clarifications);
  if (!clarifications.empty())
    message += "\n\n## Messages from the buyer\nThe buyer's own words, oldest first:\n" + clarifications;
  return message;
}

std::string system_prompt(const OrderPrompt& prompt, const config::ExecutionSection& execution) {
  std::string system = execution.system_prompt;
  auto add = [&system](const std::string& part) {
    if (part.empty()) return;
    if (!system.empty()) system += "\n\n";
    system += part;
  };
  if (prompt.gig != nullptr) {
    const std::string tier_name = marketplace_tier(*prompt.order);
    const std::string& instructions = prompt.gig->tier(tier_name).instructions;
    if (!trim(instructions).empty())
      add(fmt::format("This order is for the {} tier. Its instructions: {}", tier_name, trim(instructions)));
    if (!trim(prompt.gig->example_input).empty() && !trim(prompt.gig->example_output).empty())
      add("A worked example of this gig. Example order:\n" + fenced(trim(prompt.gig->example_input), "") +
          "\nExample delivery:\n" + fenced(trim(prompt.gig->example_output), ""));
    if (prompt.format == config::DeliveryFormat::Json && !prompt.gig->output_schema.is_null())
      add("Reply with one JSON document only, no other text, satisfying this JSON Schema:\n" +
          fenced(prompt.gig->output_schema.dump(2), "json"));
  }
  return system;
}

}  // namespace

BuyerWords read_buyer_words(const nlohmann::json& messages, const std::string& buyer_id,
                            const std::string& delivered_at) {
  BuyerWords words;
  if (!messages.is_array()) return words;
  std::vector<std::string> since_delivery_requests, since_delivery_other, since_unannounced;
  bool delivered = false;
  for (const auto& message : messages) {
    if (!message.is_object()) continue;
    const std::string type = string_or_empty(message, "message_type");
    const std::string content = string_or_empty(message, "content");
    const bool from_buyer = !buyer_id.empty() && string_or_empty(message, "sender_id") == buyer_id;
    if (!from_buyer) {
      if (type == "delivery") {
        delivered = true;
        since_delivery_requests.clear();
        since_delivery_other.clear();
      }
      continue;
    }
    if (type == "system" || content.empty()) continue;
    const std::string created = string_or_empty(message, "created_at");
    const bool after_unannounced_delivery = !delivered && !delivered_at.empty() && created > delivered_at;
    if (!delivered && !after_unannounced_delivery && type != "revision_request")
      words.clarifications.push_back(content);
    if (after_unannounced_delivery && type != "revision_request") since_unannounced.push_back(content);
    (type == "revision_request" ? since_delivery_requests : since_delivery_other).push_back(content);
  }
  words.revision_request = since_delivery_requests.empty() ? since_delivery_other : since_delivery_requests;
  // No delivery message: explicit requests, else what came after the order's delivered_at.
  if (!delivered)
    words.revision_request = since_delivery_requests.empty() ? since_unannounced : since_delivery_requests;
  return words;
}

std::string delivered_text(const nlohmann::json& delivery_data) {
  nlohmann::json data = delivery_data;
  if (data.is_string()) {
    auto parsed = nlohmann::json::parse(data.get_ref<const std::string&>(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) return sanitize_utf8(data.get<std::string>());
    data = std::move(parsed);
  }
  if (!data.is_object())
    return data.is_null() ? "" : data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  if (auto content = data.find("content"); content != data.end() && content->is_string())
    return sanitize_utf8(content->get<std::string>());
  if (auto result = data.find("result"); result != data.end())
    return result->is_string() ? sanitize_utf8(result->get<std::string>())
                               : result->dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  return data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

LlmRequest build_order_request(const OrderPrompt& prompt) {
  static const nlohmann::json kNoOrder = nlohmann::json::object();
  OrderPrompt effective = prompt;
  if (effective.order == nullptr) effective.order = &kNoOrder;
  const config::ExecutionSection execution =
      prompt.gig != nullptr ? config::execution_for(prompt.execution, *prompt.gig) : prompt.execution;
  LlmRequest request;
  request.system = system_prompt(effective, execution);
  request.model = execution.model;
  request.max_tokens = execution.max_tokens;
  request.temperature = execution.temperature;
  request.turns.push_back({LlmTurn::Role::User, first_user_message(effective)});
  if (prompt.revision) {
    const std::string asked = quoted_buyer_words(prompt.revision->request);
    request.turns.push_back({LlmTurn::Role::Assistant, prompt.revision->previous_delivery.empty()
                                                           ? "(the previous delivery is not available)"
                                                           : prompt.revision->previous_delivery});
    request.turns.push_back(
        {LlmTurn::Role::User,
         fmt::format("Revise your delivery (revision {}). {}\nReply with the complete revised delivery, not only the "
                     "changes.",
                     prompt.revision->round,
                     asked.empty() ? "The buyer asked for a revision without saying what to change: improve it."
                                   : "The buyer asks for these changes, in the buyer's own words:\n" + asked)});
  }
  return request;
}

LlmRequest correction_request(const LlmRequest& asked, const std::string& reply,
                              const std::vector<std::string>& problems) {
  LlmRequest next = asked;
  next.turns = asked.conversation();
  next.user.clear();
  std::string list;
  for (const auto& problem : problems) list += "- " + problem + "\n";
  next.turns.push_back({LlmTurn::Role::Assistant, reply.empty() ? "(empty reply)" : reply});
  next.turns.push_back({LlmTurn::Role::User, "Your reply is not the JSON this order needs:\n" + list +
                                                 "Reply again with only the corrected JSON document, no other text."});
  return next;
}

}  // namespace gigent::executor
