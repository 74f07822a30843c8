#pragma once
#include <sys/types.h>
#include <string>

namespace gigent {

// Writes `content` to `path` so that a reader sees the old file or the new
// one, never half of either: a temp file beside it created with O_CREAT|O_EXCL
// and `mode` from the start (never chmod-ed later), fsync, rename, fsync of the
// directory. Throws std::runtime_error naming the path and errno text.
void atomic_write_file(const std::string& path, const std::string& content, mode_t mode);

// strerror(err), but safe to call from several threads at once.
std::string errno_text(int err);

// Reads a whole file; throws std::runtime_error naming the path on failure.
std::string read_file(const std::string& path);

}  // namespace gigent
