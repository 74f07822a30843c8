#include "executor/stream.h"

#include <utility>

namespace gigent::executor {

StreamAttempt::StreamAttempt(std::unique_ptr<StreamAccumulator> acc)
    : accumulator(std::move(acc)), parser([this](const SseEvent& event) { return accumulator->on_event(event); }) {}

LlmResult parse_stream_body(std::unique_ptr<StreamAccumulator> accumulator, std::string_view body) {
  StreamAttempt attempt(std::move(accumulator));
  attempt.feed(body);  // an event cut off before its blank line is dropped, as the standard says
  return attempt.accumulator->finish();
}

bool should_stream(const std::string& stream_setting, int max_tokens) {
  if (stream_setting == "true") return true;
  if (stream_setting == "false") return false;
  return max_tokens > kAutoStreamMaxTokens;
}

}  // namespace gigent::executor
