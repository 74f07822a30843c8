#pragma once
// The retry rules the official Anthropic and OpenAI SDKs apply, as pure
// functions so the schedule is tested exactly.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/cancel.h"
#include "http/client.h"

namespace gigent::executor {

// Uniform in [0, 1): the share of the 25% jitter taken off a backoff delay.
using JitterFn = std::function<double()>;
JitterFn random_jitter();

inline constexpr std::chrono::milliseconds kInitialRetryDelay{500};
inline constexpr std::chrono::milliseconds kMaxRetryDelay{8000};
// A server-requested wait longer than this is not honoured: the call fails.
inline constexpr std::chrono::milliseconds kMaxServerRequestedWait{60000};

// min(0.5 s * 2^retries_so_far, 8 s), then reduced by jitter * 25%.
std::chrono::milliseconds backoff_delay(int retries_so_far, double jitter);

// 408, 409, 429 and every 5xx (Anthropic's 529 overloaded included).
bool status_is_retryable(int status);

// x-should-retry: "true" / "false" overrides the status rule; nullopt when absent.
std::optional<bool> should_retry_header(const http::ClientResponse& response);

// The wait a response asks for: retry-after-ms (milliseconds), else
// retry-after as seconds or as an HTTP date relative to `now`. nullopt when
// absent, unparseable or not positive (the SDKs then use their own backoff).
std::optional<std::chrono::milliseconds> server_requested_wait(const http::ClientResponse& response,
                                                               std::chrono::system_clock::time_point now);

// Parses an HTTP date in any of the three forms RFC 9110 allows (IMF-fixdate
// "Wed, 21 Oct 2015 07:28:00 GMT", RFC 850, asctime), as libcurl does.
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text);

}  // namespace gigent::executor
