#pragma once
#include <string>
#include <string_view>

namespace gigent {

// "sk_0123…cdef": enough to tell two keys apart in a log, never enough to use.
// Short strings are masked entirely.
std::string mask_secret(std::string_view secret);

// Random hex from the OS CSPRNG (OpenSSL RAND_bytes); throws on failure.
std::string random_hex(std::size_t bytes);

// Lowercase hex SHA-256 of the input.
std::string sha256_hex(std::string_view data);

// A random RFC 4122 version-4 UUID string.
std::string uuid_v4();

}  // namespace gigent
