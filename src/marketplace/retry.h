#pragma once
// Exponential backoff with jitter around one backend call. The callers decide
// how many attempts make sense: boot waits for the backend indefinitely, an
// order step gives up after a few.
#include <functional>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "common/cancel.h"
#include "marketplace/client.h"

namespace gigent::marketplace {

struct RetryPolicy {
  int max_retries = 3;  // -1: until success or cancellation
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max_delay{8000};
};

// One step of an order or of boot (accept, start, deliver, publish a gig):
// a few quick retries; what happens after that is the caller's policy.
inline constexpr RetryPolicy kStepRetry{3, std::chrono::milliseconds(500), std::chrono::milliseconds(8000)};

// Backoff before retry n (0-based): min(initial * 2^n, max) with up to 25% taken off.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry);

// Calls `fn` until it succeeds, fails with a non-retryable status, retries run
// out, `cancel` fires, or the transfer itself was cancelled (the last result
// is returned). Each retry is logged
// as "<what> failed: <error>; retry in N s; ...".
ApiResult call_with_retry(const std::string& what, const std::function<ApiResult()>& fn, const RetryPolicy& policy,
                          const Cancellation& cancel, spdlog::logger& log, Sleeper& sleeper = RealSleeper::instance());

}  // namespace gigent::marketplace
