#include "common/backoff.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace gigent {

double random_unit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::chrono::milliseconds backoff_with_jitter(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                              int retry, double jitter) {
  long long delay = initial.count();
  for (int i = 0; i < retry && delay < max.count(); ++i) delay *= 2;
  delay = std::min<long long>(delay, max.count());
  if (!(jitter >= 0.0)) jitter = 0.0;  // also catches NaN
  if (jitter > 1.0) jitter = 1.0;
  return std::chrono::milliseconds(std::llround(static_cast<double>(delay) * (1.0 - 0.25 * jitter)));
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d, double fraction) {
  double factor = 1.0 - fraction + 2.0 * fraction * random_unit();
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(d.count()) * factor));
}

}  // namespace gigent
