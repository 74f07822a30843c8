#include "common/file_clock.h"

#include <cstdlib>
#include <fstream>
#include <memory>

namespace gigent {

std::chrono::system_clock::time_point FileClock::wall() const {
  std::ifstream in(path_);
  long long seconds = 0;
  if (in >> seconds) return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  return std::chrono::system_clock::now();
}

Clock& daemon_wall_clock() {
  static const std::unique_ptr<Clock> clock = []() -> std::unique_ptr<Clock> {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, at first use; nothing here calls setenv
    const char* path = std::getenv("GIGENT_TEST_CLOCK_FILE");
    if (path != nullptr && *path != '\0') return std::make_unique<FileClock>(path);
    return nullptr;
  }();
  return clock ? *clock : SystemClock::instance();
}

}  // namespace gigent
