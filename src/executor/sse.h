#pragma once
// Server-sent events (the WHATWG EventSource format both LLM APIs stream in),
// parsed incrementally: bytes are fed as libcurl hands them over, split
// anywhere, and each complete event is passed on at its blank line.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace gigent::executor {

struct SseEvent {
  std::string event = "message";  // the `event:` field, "message" when absent
  std::string data;               // `data:` lines joined with '\n'
  std::string id;
};

class SseParser {
 public:
  // Called once per complete event; returning false stops the parser (feed()
  // then returns false and ignores further input).
  using EventFn = std::function<bool(const SseEvent&)>;

  // Lines and pending event data beyond `max_line_bytes` fail the stream, so
  // a server that never sends a line break cannot grow memory without bound.
  explicit SseParser(EventFn on_event, std::size_t max_line_bytes = 16u << 20);

  // False once the callback stopped the stream or a line was too long.
  bool feed(std::string_view bytes);
  bool overflowed() const { return overflowed_; }

 private:
  bool line(std::string_view text);
  bool dispatch();

  EventFn on_event_;
  std::size_t max_line_bytes_;
  std::string pending_;    // an incomplete line
  bool after_cr_ = false;  // the last byte was CR: a following LF belongs to it
  bool at_start_ = true;   // a UTF-8 BOM may open the stream
  bool stopped_ = false;
  bool overflowed_ = false;
  SseEvent event_;
  bool has_data_ = false;
};

}  // namespace gigent::executor
