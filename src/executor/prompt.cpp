#include "executor/prompt.h"

#include <algorithm>
#include <utility>
#include <vector>

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
