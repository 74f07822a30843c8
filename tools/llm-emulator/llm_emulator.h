#pragma once
// A local stand-in for the Anthropic Messages API and the OpenAI Chat
// Completions API, for tests: deterministic replies derived from the request,
// each API's own error bodies, and a script of faults (rate limits, overload,
// malformed bodies, dropped connections, hangs) consumed one per request.
//
// HTTP routes besides the two APIs, for tests driving a separate process:
//   POST /_emulator/script   JSON list of actions, appended to the queue
//   POST /_emulator/default  one action, used when the queue is empty
//   GET  /_emulator/stats    counts per API and per outcome, requests in flight and their peak
//   GET  /_emulator/requests every API request since start or reset, in arrival order: api,
//                            path and body (no headers: they carry the key)
//   POST /_emulator/reset    empty queue, default "ok", zero counters, release hangs
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/server.h"

namespace gigent::llm_emulator {

class Dialect;

// What to do with one API request (after authentication and validation pass).
struct Action {
  // ok | error | rate_limit | server_error | overloaded | billing | malformed | drop | hang |
  // invalid_utf8 | stream_error | stall
  //
  // A request with "stream": true is answered with server-sent events in the
  // API's own format for ok, drop (the connection closes mid-stream),
  // malformed (an event that is not JSON), invalid_utf8, and two kinds that
  // only make sense for a stream: stream_error (some events, then the API's
  // error event: Anthropic's overloaded_error, OpenAI's server_error, or
  // error_type/message when given) and stall (some events, then silence for
  // stall_ms, then the rest). Other faults answer with the usual error
  // status before any event, as the APIs do. Without "stream", stall answers
  // normally after stall_ms and stream_error as overloaded.
  std::string kind = "ok";
  int delay_ms = 0;                           // wait before answering (any kind but hang)
  int status = 0;                             // for "error": the HTTP status (400, 401, 403, 404, 500, ...)
  std::string error_type;                     // overrides the API's usual error type for the status
  std::string message;                        // overrides the usual error message
  std::optional<std::string> retry_after;     // "retry-after" header value
  std::optional<std::string> retry_after_ms;  // "retry-after-ms" header value
  std::optional<std::string> should_retry;    // "x-should-retry" header value
  int stall_ms = 60000;                       // for stall: the silence
  int after_events = -1;                      // stream faults: events sent first (-1: half of them)
  int event_delay_ms = 0;                     // streams: wait before each event
  // For "ok": the reply text, instead of the one derived from the request
  // (a test scripts a bad reply followed by a good one).
  std::optional<std::string> text;

  // {"action":"rate_limit","retry_after_ms":"20","delay_ms":0,...}; throws
  // std::invalid_argument naming the problem.
  static Action from_json(const nlohmann::json& value);
  nlohmann::json to_json() const;
};

struct RecordedRequest {
  std::string api;  // "anthropic" | "openai"
  std::string path;
  std::map<std::string, std::string> headers;  // lowercased keys
  std::string body;
};

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;        // 0 picks a free port
  std::string expected_api_key;  // empty: any key (or none) is accepted
  unsigned threads = 2;
};

class LlmEmulator {
 public:
  explicit LlmEmulator(Options options = {});
  ~LlmEmulator();
  LlmEmulator(const LlmEmulator&) = delete;
  LlmEmulator& operator=(const LlmEmulator&) = delete;

  void start();  // throws std::runtime_error when it cannot listen
  void stop();   // idempotent; releases hung requests
  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT", the base_url for both APIs

  // Script: actions are consumed one per API request, in order; when the
  // queue is empty the default action answers.
  void push(Action action);
  void push(const std::vector<Action>& actions);
  void set_default(Action action);
  void reset();
  std::size_t queued() const;

  // Counters, as served by GET /_emulator/stats:
  // {"requests":N, "by_api":{"anthropic":N,"openai":N},
  //  "by_outcome":{"ok":N,"rate_limit":N,...}, "successes":N, "hanging":N,
  //  "in_flight":N, "peak_concurrent":N}
  nlohmann::json stats() const;
  int requests() const;   // API requests received (valid or not)
  int successes() const;  // complete 200 answers with a well-formed body
  // The most API requests ever received and not yet answered at one time
  // (since start or the last reset): what a client's concurrency limit bounds.
  int peak_concurrent() const;
  int streamed() const;  // answers sent as a stream (any kind)
  std::vector<RecordedRequest> recorded_requests() const;

  struct Concurrency;  // the in-flight count, shared with each request's reply

 private:
  void handle(http::Request&& request, http::Reply reply);
  void handle_api(const Dialect& dialect, http::Request&& request, http::Reply untracked);
  void handle_control(http::Request&& request, const http::Reply& reply);
  // Counts the outcome and sends the response, now or after `delay_ms`.
  void answer(const Dialect& dialect, const std::string& request_id, const std::string& outcome,
              http::Response response, int delay_ms, http::Reply reply);
  // Counts and records an API request; returns its serial number.
  std::uint64_t record(const std::string& api, const http::Request& request);
  Action next_action();
  void count(const std::string& outcome);

  Options options_;
  std::shared_ptr<Concurrency> concurrency_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mutex_;
  std::deque<Action> queue_;
  Action default_action_;
  int requests_ = 0;
  int successes_ = 0;
  int streamed_ = 0;
  std::uint64_t next_id_ = 1;
  std::map<std::string, int> by_api_;
  std::map<std::string, int> by_outcome_;
  std::vector<RecordedRequest> recorded_;
  std::vector<http::Reply> hanging_;  // kept alive so the connections stay open, unanswered
};

// The deterministic reply text for a user message (exposed for tests):
// "Emulated reply to: <first 80 chars>" plus a word count; a JSON document
// when the message holds [[emulator:json]].
std::string reply_text_for(const std::string& user_message, const std::string& model);
// Whitespace-separated words * 1.3, rounded up; at least 1 for non-empty text.
long long estimate_tokens(const std::string& text);

}  // namespace gigent::llm_emulator
