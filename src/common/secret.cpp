#include "common/secret.h"

#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace gigent {
namespace {
std::string to_hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}
}  // namespace

std::string mask_secret(std::string_view secret) {
  if (secret.size() < 12) return "****";
  std::string out(secret.substr(0, secret.starts_with("sk_") ? 6 : 3));
  out += "\u2026";
  out += secret.substr(secret.size() - 4);
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::string buf(bytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(buf.data());
  if (RAND_bytes(p, static_cast<int>(bytes)) != 1) throw std::runtime_error("RAND_bytes failed");
  return to_hex(p, bytes);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return to_hex(md, len);
}

std::string uuid_v4() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string hex = to_hex(b, sizeof b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

}  // namespace gigent
