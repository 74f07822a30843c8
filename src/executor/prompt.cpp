#include "executor/prompt.h"

#include <algorithm>

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

std::string pretty(const nlohmann::json& value) {
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
    const auto decoded = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!decoded.is_discarded() && (decoded.is_object() || decoded.is_array())) {
      if (!is_empty_input(decoded)) section = fenced(pretty(decoded), "json");
    } else if (!trim(text).empty()) {
      // Plain text (or a bare JSON scalar): shown as the buyer wrote it.
      section = fenced(trim(text), "");
    }
  } else if (!is_empty_input(input_data)) {
    section = fenced(pretty(input_data), "json");
  }
  if (!section.empty()) message += "\n\n## Input data\n" + section;
  return message;
}

}  // namespace gigent::executor
