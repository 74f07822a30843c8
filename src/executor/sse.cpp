#include "executor/sse.h"

#include <utility>

namespace gigent::executor {

SseParser::SseParser(EventFn on_event, std::size_t max_line_bytes)
    : on_event_(std::move(on_event)), max_line_bytes_(max_line_bytes) {}

bool SseParser::feed(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size() && !stopped_;) {
    if (after_cr_ && bytes[i] == '\n') {  // CRLF split over two feeds, or within one
      after_cr_ = false;
      ++i;
      continue;
    }
    after_cr_ = false;
    const std::size_t end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      pending_.append(bytes.substr(i));
      if (pending_.size() > max_line_bytes_) overflowed_ = stopped_ = true;
      break;
    }
    pending_.append(bytes.substr(i, end - i));
    after_cr_ = bytes[end] == '\r';
    i = end + 1;
    std::string text = std::move(pending_);
    pending_.clear();
    if (!line(text)) stopped_ = true;
  }
  return !stopped_;
}

bool SseParser::line(std::string_view text) {
  if (at_start_) {
    at_start_ = false;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  }
  if (text.empty()) return dispatch();
  if (text.front() == ':') return true;  // a comment, often a keep-alive
  const std::size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
    if (event_.data.size() > max_line_bytes_) {
      overflowed_ = true;
      return false;
    }
  } else if (field == "event") {
    event_.event = value.empty() ? "message" : std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) event_.id = value;
  }
  // `retry:` and unknown fields are ignored, as the standard says.
  return true;
}

bool SseParser::dispatch() {
  // An event with no data line is not dispatched; its type is forgotten.
  const bool had_data = has_data_;
  SseEvent event = std::move(event_);
  event_ = SseEvent{};
  event_.id = event.id;  // the last event id persists across events
  has_data_ = false;
  if (!had_data) return true;
  return on_event_(event);
}

}  // namespace gigent::executor
