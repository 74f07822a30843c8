#pragma once
// Times and durations as text: ISO 8601 UTC for files and JSON logs, short
// human durations for log lines meant for people.
#include <chrono>
#include <string>

namespace gigent {

// "2026-02-15T16:37:04Z"
std::string iso8601(std::chrono::system_clock::time_point t);

// "2026-02-15T16:37:04.123Z"
std::string iso8601_millis(std::chrono::system_clock::time_point t);

// "2 min", "45 s", "350 ms", "3 h".
std::string human_duration(std::chrono::milliseconds d);

}  // namespace gigent
