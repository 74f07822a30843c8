#include "common/time_format.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace gigent {

// fmt formats a system_clock time_point in local time, so the UTC calendar
// time comes from fmt::gmtime.
std::string iso8601(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(t)));
}

std::string iso8601_millis(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(secs)), millis);
}

std::string human_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  long long s = ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

}  // namespace gigent
