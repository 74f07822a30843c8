#include "cli/agent_access.h"

#include <ctime>

#include <fmt/format.h>

#include "common/time_format.h"
#include "common/utf8.h"

namespace gigent::cli {

std::optional<boot::Credentials> credentials_or_report(const engine::RuntimePaths& paths, std::ostream& err) {
  try {
    auto creds = boot::load_credentials(paths.credentials);
    if (!creds)
      err << "error: no " << paths.credentials
          << ": this agent has not been registered yet (`gigent-runtime run` registers it)\n";
    return creds;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::string terminal_safe(std::string_view text, bool multiline) {
  std::string clean = sanitize_utf8(text);
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || byte == 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out.push_back(c);
  }
  return out;
}

std::string age_of(const std::string& backend_time, std::chrono::system_clock::time_point now) {
  std::tm parts{};
  const char* end = strptime(backend_time.c_str(), "%Y-%m-%d %H:%M:%S", &parts);
  if (!end) return "?";
  const auto then = std::chrono::system_clock::from_time_t(timegm(&parts));
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - then);
  if (elapsed.count() < 0) elapsed = std::chrono::milliseconds(0);  // the backend's clock runs ahead
  return human_duration(elapsed);
}

}  // namespace gigent::cli
