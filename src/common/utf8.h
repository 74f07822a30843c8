#pragma once
// UTF-8 checking and repair, the one implementation for the whole product:
// untrusted bytes made safe to hand on (model output, provider error bodies)
// and files that must be UTF-8 (the config).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gigent {

// The byte offset of the first invalid UTF-8 sequence (stray continuation
// byte, overlong form, surrogate, truncated sequence, > U+10FFFF), or nullopt
// when all of `bytes` is valid UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view bytes);

// Returns `bytes` with every invalid UTF-8 sequence (stray continuation bytes,
// overlong forms, surrogates, truncated sequences, > U+10FFFF) replaced by
// U+FFFD, one replacement per maximal invalid subpart as Unicode recommends.
std::string sanitize_utf8(std::string_view bytes);

// JSON text may carry lone UTF-16 surrogates as \uD800-style escapes, which
// nlohmann::json rejects; this rewrites each unpaired one to \uFFFD so a
// provider that emits them still parses. Valid escapes are left untouched.
std::string replace_lone_surrogate_escapes(std::string_view json_text);

// At most `max_bytes` of `text`, cut on a UTF-8 boundary, with "…" when cut.
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace gigent
