#pragma once
// A streamed answer (server-sent events) turned into the LlmResult the
// non-streaming call would have given: one accumulator per attempt, fed
// event by event, each API's own event grammar in its provider's file.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "executor/llm_provider.h"
#include "executor/sse.h"

namespace gigent::executor {

class StreamAccumulator {
 public:
  virtual ~StreamAccumulator() = default;
  // One event. False stops reading: an error event or an event that is not
  // JSON was recorded (the rest of the stream is not worth reading).
  virtual bool on_event(const SseEvent& event) = 0;
  // The error an error event reported, if any (kept so a connection dropped
  // right after it still reports the API's own words).
  virtual std::optional<LlmError> failure() const = 0;
  // The result once the stream ended. Throws LlmError: the error event's, or
  // "malformed_response" (retryable) when the stream ended before its final
  // event; refusal and empty answers as the non-streaming parser does.
  virtual LlmResult finish() const = 0;
};

// The parser and accumulator of one attempt, fed from libcurl's write callback.
struct StreamAttempt {
  explicit StreamAttempt(std::unique_ptr<StreamAccumulator> accumulator);
  StreamAttempt(const StreamAttempt&) = delete;
  StreamAttempt& operator=(const StreamAttempt&) = delete;
  bool feed(std::string_view bytes) { return parser.feed(bytes); }

  std::unique_ptr<StreamAccumulator> accumulator;
  SseParser parser;
};

// A whole stream body at once (for tests and the fuzz target).
LlmResult parse_stream_body(std::unique_ptr<StreamAccumulator> accumulator, std::string_view body);

// Streaming is chosen by execution.stream: "true", "false", or "auto", which
// streams when max_tokens is above kAutoStreamMaxTokens. That is the
// Anthropic SDK's rule (a request expected to run over 10 minutes, at 128,000
// tokens per hour, must stream), applied to both providers.
inline constexpr int kAutoStreamMaxTokens = 21333;
bool should_stream(const std::string& stream_setting, int max_tokens);

}  // namespace gigent::executor
