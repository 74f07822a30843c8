#include "common/utf8.h"

namespace gigent {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the valid sequence starting at `i`, or 0 when invalid. `bad_len`
// receives how many bytes form the maximal invalid subpart to replace.
std::size_t valid_sequence_length(std::string_view s, std::size_t i, std::size_t& bad_len) {
  const auto c = static_cast<unsigned char>(s[i]);
  bad_len = 1;
  if (c < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c == 0xE0) {
    need = 2, lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    need = 2;
  } else if (c == 0xED) {
    need = 2, hi = 0x9F;  // excludes UTF-16 surrogates
  } else if (c == 0xF0) {
    need = 3, lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    need = 3;
  } else if (c == 0xF4) {
    need = 3, hi = 0x8F;  // excludes > U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[i + k]);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : is_continuation(b);
    if (!ok) return 0;
    bad_len = k + 1;  // the prefix so far was a valid start: replace it as one unit
  }
  return need + 1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a "\uXXXX" escape starting at `i` (the backslash), or -1.
int escape_code_unit(std::string_view s, std::size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  int value = 0;
  for (std::size_t k = 2; k < 6; ++k) {
    const int h = hex_value(s[i + k]);
    if (h < 0) return -1;
    value = value * 16 + h;
  }
  return value;
}

}  // namespace

std::optional<std::size_t> first_invalid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t bad_len = 1;
    const std::size_t len = valid_sequence_length(bytes, i, bad_len);
    if (len == 0) return i;
    i += len;
  }
  return std::nullopt;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t bad_len = 1;
    const std::size_t len = valid_sequence_length(bytes, i, bad_len);
    if (len > 0) {
      out.append(bytes.substr(i, len));
      i += len;
    } else {
      // A well-started but cut-short sequence is replaced once, as a unit.
      out.append(kReplacement);
      i += bad_len;
    }
  }
  return out;
}

std::string replace_lone_surrogate_escapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i++]);
      continue;
    }
    if (s[i + 1] != 'u') {  // some other escape: copy both characters, so "\\u" stays literal
      out.append(s.substr(i, 2));
      i += 2;
      continue;
    }
    const int unit = escape_code_unit(s, i);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const int next = escape_code_unit(s, i + 6);
      if (next >= 0xDC00 && next <= 0xDFFF) {
        out.append(s.substr(i, 12));
        i += 12;
      } else {
        out.append("\\uFFFD");
        i += 6;
      }
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      out.append("\\uFFFD");
      i += 6;
    } else {
      out.append(s.substr(i, 2));  // the hex digits follow as plain characters
      i += 2;
    }
  }
  return out;
}

std::string utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && is_continuation(static_cast<unsigned char>(text[cut]))) --cut;
  return std::string(text.substr(0, cut)) + "\xE2\x80\xA6";
}

}  // namespace gigent
