#include "executor/retry.h"

#include <cmath>
#include <ctime>
#include <locale>
#include <sstream>

#include <curl/curl.h>

#include "common/backoff.h"

namespace gigent::executor {

JitterFn random_jitter() {
  return random_unit;
}

std::chrono::milliseconds backoff_delay(int retries_so_far, double jitter) {
  return backoff_with_jitter(kInitialRetryDelay, kMaxRetryDelay, retries_so_far, jitter);
}

bool status_is_retryable(int status) {
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

std::optional<bool> should_retry_header(const http::ClientResponse& response) {
  const auto value = response.header("x-should-retry");
  if (!value) return std::nullopt;
  if (*value == "true") return true;
  if (*value == "false") return false;
  return std::nullopt;
}

namespace {

std::optional<double> parse_non_negative_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  double value = 0;
  in >> value;
  if (in.fail()) return std::nullopt;
  in >> std::ws;
  if (!in.eof()) return std::nullopt;
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

std::optional<std::chrono::milliseconds> positive_ms(double ms) {
  if (ms <= 0) return std::nullopt;
  // Clamp before converting so a huge header cannot overflow.
  if (ms > 1e12) ms = 1e12;
  return std::chrono::milliseconds(std::llround(std::ceil(ms)));
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text) {
  const time_t seconds = curl_getdate(text.c_str(), nullptr);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds);
}

std::optional<std::chrono::milliseconds> server_requested_wait(const http::ClientResponse& response,
                                                               std::chrono::system_clock::time_point now) {
  if (const auto ms_header = response.header("retry-after-ms")) {
    // As in the SDKs, a zero or unparseable value falls through to retry-after.
    if (const auto ms = parse_non_negative_number(*ms_header)) {
      if (const auto wait = positive_ms(*ms)) return wait;
    }
  }
  const auto header = response.header("retry-after");
  if (!header) return std::nullopt;
  if (const auto seconds = parse_non_negative_number(*header)) return positive_ms(*seconds * 1000.0);
  if (const auto date = parse_http_date(*header)) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*date - now).count();
    return positive_ms(static_cast<double>(ms));
  }
  return std::nullopt;
}

}  // namespace gigent::executor
