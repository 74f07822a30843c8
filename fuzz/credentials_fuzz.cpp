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
    // A key that was present must not be echoed into the message: the
    // message must not change when only the key's (non-empty) value does.
    // (Comparing messages, not searching for the key, since a short key can
    // be a substring of the message's own words.)
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_object() && json.contains("api_key") && json["api_key"].is_string() &&
        !json["api_key"].get_ref<const std::string&>().empty()) {
      json["api_key"] = json["api_key"].get<std::string>() == "sk_probe" ? "sk_other_probe" : "sk_probe";
      try {
        gigent::boot::parse_credentials(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                        "/fuzz/.gigent-credentials");
        std::abort();  // only the key's value changed: the outcome must not
      } catch (const gigent::boot::CredentialsError& probe) {
        if (std::string(probe.what()) != error.what()) std::abort();
      }
    }
  }
  return 0;
}
