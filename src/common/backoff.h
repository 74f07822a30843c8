#pragma once
// Retry delays: the SDK-style exponential backoff every retry loop shares, and
// plain jitter for periodic loops (so a fleet restarted together spreads out).
#include <chrono>

namespace gigent {

// Uniform in [0, 1), from a per-thread generator.
double random_unit();

// The backoff the official LLM SDKs use, shared by every retry loop here:
// min(initial * 2^retry, max), then shortened by jitter * 25% (jitter in
// [0, 1]; only ever shortened, so the cap holds).
std::chrono::milliseconds backoff_with_jitter(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                              int retry, double jitter);

// Uniform random jitter: returns d scaled by a factor in [1 - fraction, 1 + fraction].
std::chrono::milliseconds jittered(std::chrono::milliseconds d, double fraction);

}  // namespace gigent
