#pragma once
// "HOST:PORT" as operators write a listen address: "127.0.0.1:9464",
// "[::1]:9464", "localhost:9464" (127.0.0.1), ":9464" (every IPv4 address).
// Port 0 picks a free one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gigent {

struct ListenAddress {
  std::string host;  // an IP address, without brackets
  std::uint16_t port = 0;
};

// The address, or nullopt with `error` saying what is wrong.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

}  // namespace gigent
