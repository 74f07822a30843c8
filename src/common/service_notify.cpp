#include "common/service_notify.h"

#include <sys/stat.h>

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
