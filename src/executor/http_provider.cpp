#include "executor/http_provider.h"

#include <climits>
#include <utility>

#include "common/json_depth.h"
#include "common/log.h"
#include "common/time_format.h"
#include "common/utf8.h"
#include "executor/llm_counters.h"
#include "metrics/runtime_metrics.h"

namespace gigent::executor {

namespace {

constexpr std::size_t kMaxJsonDepth = 200;

std::string replace_all(std::string text, const std::string& needle, const std::string& with) {
  if (needle.empty()) return text;
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), with);
    pos += with.size();
  }
  return text;
}

std::string seconds_text(std::chrono::milliseconds d) {
  const long long ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string describe_http_failure(int status, const ApiError& error) {
  std::string text = "HTTP " + std::to_string(status);
  if (!error.type.empty()) text += " " + error.type;
  if (!error.code.empty() && error.code != error.type) text += " (" + error.code + ")";
  if (!error.message.empty()) text += ": " + error.message;
  return text;
}

// A bounded label for a retry: the provider's own error types are many and its to choose.
std::string metric_retry_label(int status, const std::string& type) {
  if (status != 0 && (status < 200 || status >= 300)) return "http_" + std::to_string(status);
  if (status != 0) return "invalid_response";
  return type == "timeout" || type == "stall" ? type : "connection_error";
}

}  // namespace

bool is_quota_or_billing_error(int status, const ApiError& error) {
  if (status == 402) return true;
  for (const std::string* word : {&error.type, &error.code}) {
    if (*word == "insufficient_quota" || *word == "billing_error" || *word == "billing_hard_limit_reached") {
      return true;
    }
  }
  return false;
}

std::optional<nlohmann::json> parse_provider_json(const std::string& body) {
  const std::string clean = replace_lone_surrogate_escapes(sanitize_utf8(body));
  // Deeper nesting than any real response is refused before parsing, so a
  // hostile body cannot exhaust the stack in recursive code downstream.
  if (json_nesting_depth(clean) > kMaxJsonDepth) return std::nullopt;
  auto doc = nlohmann::json::parse(clean, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

std::string string_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

long long integer_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return 0;
  const auto it = object.find(key);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<long long>();
  if (it->is_number_unsigned()) {
    const auto value = it->get<unsigned long long>();
    return value > static_cast<unsigned long long>(LLONG_MAX) ? LLONG_MAX : static_cast<long long>(value);
  }
  return 0;
}

const nlohmann::json* object_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return nullptr;
  return &*it;
}

std::string body_excerpt(const std::string& body) {
  std::string clean = sanitize_utf8(body);
  for (char& c : clean) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  const auto first = clean.find_first_not_of(' ');
  if (first == std::string::npos) return "(empty body)";
  const auto last = clean.find_last_not_of(' ');
  return utf8_prefix(std::string_view(clean).substr(first, last - first + 1), 300);
}

std::string api_v1_root(const std::string& base_url) {
  std::string root = base_url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (root.size() < 3 || root.compare(root.size() - 3, 3, "/v1") != 0) root += "/v1";
  return root;
}

HttpLlmProvider::HttpLlmProvider(config::ExecutionSection execution, TransportFor transport, Sleeper& sleeper,
                                 Clock& clock, JitterFn jitter)
    : execution_(std::move(execution)),
      transport_(std::move(transport)),
      sleeper_(sleeper),
      clock_(clock),
      jitter_(jitter ? std::move(jitter) : random_jitter()) {}

http::ClientRequest HttpLlmProvider::base_request(const std::string& url) const {
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.connect_timeout = std::chrono::seconds(execution_.connect_timeout_seconds);
  request.total_timeout = std::chrono::seconds(execution_.timeout_seconds);
  request.headers.emplace_back("content-type", "application/json");
  request.headers.emplace_back("accept", "application/json");
  return request;
}

std::string HttpLlmProvider::without_key(const std::string& text) const {
  // Providers sometimes quote the key back ("Incorrect API key provided: ...").
  if (execution_.api_key.size() < 4) return text;
  return replace_all(text, execution_.api_key, "[key]");
}

void HttpLlmProvider::fail(std::string message, bool retryable, int status, std::string type, int attempts) const {
  message = name() + ": " + message;
  if (attempts > 1) message += " (after " + std::to_string(attempts) + " attempts)";
  throw LlmError(without_key(message), retryable, status, std::move(type));
}

void HttpLlmProvider::stream_request(http::ClientRequest& wire) const {
  for (auto& [name, value] : wire.headers) {
    if (name == "accept") value = "text/event-stream";
  }
  // A stream may run as long as the model writes; what must not last longer
  // than timeout_seconds is the silence between two events (Anthropic sends
  // pings). The response size cap still bounds the whole.
  wire.total_timeout = std::chrono::milliseconds(0);
  wire.stall_timeout = std::chrono::seconds(execution_.timeout_seconds);
}

std::optional<LlmResult> HttpLlmProvider::attempt(const http::ClientRequest& wire_request, const Cancellation& cancel,
                                                  int attempts, Failure& failure) {
  http::ClientRequest wire = wire_request;
  std::unique_ptr<StreamAttempt> stream;
  if (streaming()) {
    stream = std::make_unique<StreamAttempt>(make_stream());
    wire.body_sink = [&stream](std::string_view bytes) { return stream->feed(bytes); };
  }
  const http::ClientResult result = transport_(cancel).perform(wire);
  failure.wait.reset();
  // An answer that arrived whole is kept even if cancellation fired meanwhile.
  if (!result.ok() && (result.cancelled || cancel.cancelled())) {
    fail("cancelled during the call", true, 0, "cancelled", attempts);
  }
  const auto stream_error = stream && result.streamed ? stream->accumulator->failure() : std::nullopt;
  if (stream_error) {
    // The API's own error event, even when the connection closed after it.
    if (!stream_error->retryable()) fail(stream_error->what(), false, 200, stream_error->error_type(), attempts);
    failure = {stream_error->what(), 200, stream_error->error_type(), std::nullopt};
    return std::nullopt;
  }
  if (!result.ok() && result.sink_stopped) {
    failure = {"malformed stream: an event larger than the parser accepts", 200, "malformed_response", std::nullopt};
    return std::nullopt;
  }
  if (!result.ok()) {
    const char* type = result.stalled ? "stall" : result.timed_out ? "timeout" : "connection_error";
    const std::string what = result.stalled     ? "the stream stalled (" + result.error + ")"
                             : result.timed_out ? "request timed out (" + result.error + ")"
                                                : "connection failed (" + result.error + ")";
    failure = {what, 0, type, std::nullopt};
    return std::nullopt;
  }
  const int status = result.response.status;
  if (status >= 200 && status < 300) {
    try {
      LlmResult parsed = result.streamed ? stream->accumulator->finish() : parse_success(result.response.body);
      parsed.streamed = result.streamed;
      return parsed;
    } catch (const LlmError& error) {
      if (!error.retryable()) fail(error.what(), false, status, error.error_type(), attempts);
      failure = {error.what(), status, error.error_type(), std::nullopt};
      return std::nullopt;
    }
  }
  const ApiError api_error = parse_error(result.response.body);
  failure = {describe_http_failure(status, api_error), status,
             api_error.type.empty() ? "http_" + std::to_string(status) : api_error.type, std::nullopt};
  if (is_quota_or_billing_error(status, api_error)) {
    fail(failure.text + " [quota or billing: not retried]", false, status, failure.type, attempts);
  }
  const bool retry = should_retry_header(result.response).value_or(status_is_retryable(status));
  if (!retry) fail(failure.text, false, status, failure.type, attempts);
  failure.wait = server_requested_wait(result.response, clock_.wall());
  return std::nullopt;
}

LlmResult HttpLlmProvider::complete(const LlmRequest& request, const Cancellation& cancel) {
  // Timed with the real clock: the metric is wall time even when tests inject a clock.
  const auto started = std::chrono::steady_clock::now();
  struct ObserveCall {
    const HttpLlmProvider& provider;
    std::chrono::steady_clock::time_point started;
    ~ObserveCall() {
      metrics::observe_llm_call(provider.name(), provider.execution_.model, std::chrono::steady_clock::now() - started);
    }
  } observe{*this, started};
  LlmResult result = complete_with_retries(request, cancel);
  metrics::count_llm_tokens(name(), execution_.model, result.usage.input_tokens, result.usage.output_tokens);
  return result;
}

LlmResult HttpLlmProvider::complete_with_retries(const LlmRequest& request, const Cancellation& cancel) {
  const auto started = clock_.now();
  const http::ClientRequest wire_request = build_request(request);
  const int max_retries = std::max(0, execution_.max_retries);
  auto logger = log::get("llm");

  int attempts = 0;
  Failure failure{"no attempt made", 0, "", std::nullopt};
  for (;;) {
    if (cancel.cancelled()) {
      fail("cancelled before the call completed; last failure: " + failure.text, true, failure.status, "cancelled",
           attempts);
    }
    ++attempts;
    if (auto parsed = attempt(wire_request, cancel, attempts, failure)) {
      parsed->attempts = attempts;
      parsed->latency = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - started);
      parsed->provider = name();
      parsed->configured_model = execution_.model;
      if (counters_) counters_->answered(name(), execution_.model, parsed->streamed);
      return std::move(*parsed);
    }

    // A transient failure: try again if the budget allows.
    const int retries_so_far = attempts - 1;
    if (retries_so_far >= max_retries) {
      fail(failure.text + "; gave up after " + std::to_string(max_retries) + " retries", true, failure.status,
           failure.type, attempts);
    }
    if (failure.wait && *failure.wait > kMaxServerRequestedWait) {
      fail(failure.text + "; the server asked to wait " + seconds_text(*failure.wait) +
               " before retrying, more than the " + seconds_text(kMaxServerRequestedWait) + " cap",
           true, failure.status, failure.type, attempts);
    }
    const auto wait = failure.wait ? *failure.wait : backoff_delay(retries_so_far, jitter_());
    if (counters_) counters_->retry(name(), retry_reason(failure.status, failure.type));
    metrics::count_llm_retry(name(), metric_retry_label(failure.status, failure.type));
    logger->warn("{} call failed: {}; retry {}/{} in {}", name(), without_key(failure.text), retries_so_far + 1,
                 max_retries, human_duration(wait));
    if (!sleeper_.sleep_for(wait, cancel)) {
      fail("cancelled while waiting to retry; last failure: " + failure.text, true, failure.status, "cancelled",
           attempts);
    }
  }
}

}  // namespace gigent::executor
