#include "marketplace/retry.h"

#include <algorithm>

#include "common/status_registry.h"

namespace gigent::marketplace {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry) {
  long long base = policy.initial.count() << std::min(retry, 20);
  base = std::min<long long>(base, policy.max_delay.count());
  // Only ever shorten the wait, by up to 25% (as the official SDKs do), so
  // the cap holds: jittered(base/8, 1.0) is uniform in [0, base/4].
  auto reduction = jittered(std::chrono::milliseconds(base / 8), 1.0).count();
  return std::chrono::milliseconds(base - reduction);
}

ApiResult call_with_retry(const std::string& what, const std::function<ApiResult()>& fn, const RetryPolicy& policy,
                          const Cancellation& cancel, spdlog::logger& log, Sleeper& sleeper) {
  std::optional<std::chrono::system_clock::time_point> last_success;
  for (int retry = 0;; ++retry) {
    ApiResult result = fn();
    if (result.ok() || !result.retryable() || cancel.cancelled()) return result;
    if (policy.max_retries >= 0 && retry >= policy.max_retries) return result;
    auto delay = backoff_delay(policy, retry);
    log.warn(failure_message(what, result.error, delay, last_success));
    if (!sleeper.sleep_for(delay, cancel)) return result;
  }
}

}  // namespace gigent::marketplace
