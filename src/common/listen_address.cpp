#include "common/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace gigent {

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "expected HOST:PORT, such as 127.0.0.1:9464";
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    error = "the port must be a number from 0 to 65535 (HOST:PORT, such as 127.0.0.1:9464)";
    return std::nullopt;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    error = "an IPv6 address goes in brackets, such as [::1]:9464";
    return std::nullopt;
  }
  std::string ip = host.empty() ? "0.0.0.0" : host == "localhost" ? "127.0.0.1" : std::string(host);
  // The server binds an address, not a name that could resolve to several.
  in6_addr parsed{};
  if (inet_pton(AF_INET, ip.c_str(), &parsed) != 1 && inet_pton(AF_INET6, ip.c_str(), &parsed) != 1) {
    error = "the host must be an IP address (such as 127.0.0.1 or [::1]) or localhost";
    return std::nullopt;
  }
  return ListenAddress{ip, static_cast<std::uint16_t>(port)};
}

}  // namespace gigent
