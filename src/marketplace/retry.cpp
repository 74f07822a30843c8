#include "marketplace/retry.h"

#include <algorithm>

#include "common/backoff.h"
#include "common/status_registry.h"

namespace gigent::marketplace {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry) {
  return backoff_with_jitter(policy.initial, policy.max_delay, retry, random_unit());
}

ApiResult call_with_retry(const std::string& what, const std::function<ApiResult()>& fn, const RetryPolicy& policy,
                          const Cancellation& cancel, spdlog::logger& log, Sleeper& sleeper) {
  std::optional<std::chrono::system_clock::time_point> last_success;
  for (int retry = 0;; ++retry) {
    ApiResult result = fn();
    // A transfer stopped by shutdown is not a failure: retrying it (even when
    // `cancel` is a different, later stop signal) only delays the exit.
    if (result.ok() || !result.retryable() || result.cancelled || cancel.cancelled()) return result;
    if (policy.max_retries >= 0 && retry >= policy.max_retries) return result;
    auto delay = backoff_delay(policy, retry);
    log.warn(failure_message(what, result.error, delay, last_success));
    if (!sleeper.sleep_for(delay, cancel)) return result;
  }
}

}  // namespace gigent::marketplace
