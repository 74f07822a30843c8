#include "common/service_notify.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#ifdef GIGENT_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace gigent::service {

namespace {

void notify([[maybe_unused]] std::string_view state, [[maybe_unused]] std::string_view status) {
#ifdef GIGENT_HAVE_LIBSYSTEMD
  std::string message(state);
  // STATUS= ends at the newline; one line is all systemctl shows anyway.
  std::string line(status.substr(0, status.find('\n')));
  if (!line.empty()) message += "\nSTATUS=" + line;
  sd_notify(0, message.c_str());
#endif
}

}  // namespace

void notify_ready(std::string_view status) {
  notify("READY=1", status);
}

void notify_stopping(std::string_view status) {
  notify("STOPPING=1", status);
}

void notify_status(std::string_view status) {
#ifdef GIGENT_HAVE_LIBSYSTEMD
  std::string line(status.substr(0, status.find('\n')));
  sd_notify(0, ("STATUS=" + line).c_str());
#else
  (void)status;
#endif
}

void notify_watchdog() {
#ifdef GIGENT_HAVE_LIBSYSTEMD
  sd_notify(0, "WATCHDOG=1");
#endif
}

std::optional<std::chrono::microseconds> watchdog_timeout() {
#ifdef GIGENT_HAVE_LIBSYSTEMD
  std::uint64_t usec = 0;
  // WATCHDOG_USEC stays in the environment (unset_environment 0): the daemon starts no children.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
#endif
  return std::nullopt;
}

bool writes_to_journal(std::FILE* stream) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once while logging is set up
  const char* journal = std::getenv("JOURNAL_STREAM");
  if (journal == nullptr || *journal == '\0') return false;
  struct stat st {};
  if (fstat(fileno(stream), &st) != 0) return false;
  // A child that inherited the variable but writes elsewhere keeps its timestamps.
  return std::string(journal) == std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                                     std::to_string(static_cast<unsigned long long>(st.st_ino));
}

}  // namespace gigent::service
