// libFuzzer target: arbitrary bytes as the text of .gigent-credentials. The
// contract: parse_credentials returns credentials whose agent_id and api_key
// are non-empty, or throws CredentialsError; nothing else escapes, and the
// error message never contains the api_key it may have read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "boot/credentials.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto credentials = gigent::boot::parse_credentials(text, "/fuzz/.gigent-credentials");
    if (credentials.agent_id.empty() || credentials.api_key.empty()) std::abort();
  } catch (const gigent::boot::CredentialsError& error) {
    // A key that was present must not be echoed into the message.
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_object() && json.contains("api_key") && json["api_key"].is_string()) {
      const auto& key = json["api_key"].get_ref<const std::string&>();
      if (key.size() >= 8 && std::string(error.what()).find(key) != std::string::npos) std::abort();
    }
  }
  return 0;
}
