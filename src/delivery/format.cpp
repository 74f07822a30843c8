#include "delivery/delivery.h"

#include "common/text.h"

namespace gigent::delivery {

namespace {
// The body of the first ```json fence (or a bare ``` fence), if any.
std::optional<std::string> first_json_fence(const std::string& text) {
  for (const char* opener : {"```json", "```JSON", "```"}) {
    auto start = text.find(opener);
    if (start == std::string::npos) continue;
    auto body_start = text.find('\n', start);
    if (body_start == std::string::npos) continue;
    auto end = text.find("```", body_start);
    if (end == std::string::npos) continue;
    return text.substr(body_start + 1, end - body_start - 1);
  }
  return std::nullopt;
}
}  // namespace

nlohmann::json format_result(const std::string& text, config::DeliveryFormat format) {
  switch (format) {
    case config::DeliveryFormat::Markdown:
      return {{"content", text}, {"format", "markdown"}};
    case config::DeliveryFormat::Text:
      return {{"content", text}, {"format", "text"}};
    case config::DeliveryFormat::Json: {
      auto whole = nlohmann::json::parse(trim(text), nullptr, false);
      if (!whole.is_discarded()) return {{"result", whole}, {"format", "json"}};
      if (auto fence = first_json_fence(text)) {
        auto fenced = nlohmann::json::parse(*fence, nullptr, false);
        if (!fenced.is_discarded()) return {{"result", fenced}, {"format", "json"}};
      }
      return {{"result", text}, {"format", "text"}};
    }
  }
  return {{"content", text}, {"format", "text"}};
}

}  // namespace gigent::delivery
