#pragma once
#include <sys/types.h>
#include <string>

namespace gigent {

// Writes `content` to `path` so that a reader sees the old file or the new
// one, never half of either: a temp file beside it created with O_CREAT|O_EXCL
// and `mode` from the start (never chmod-ed later), fsync, rename, fsync of the
// directory. Throws std::runtime_error naming the path and errno text.
// Synced: on disk before it returns (credentials, anything not rebuilt).
// Cached: still all-or-nothing for readers, but left to the kernel to flush;
// for files rewritten all the time and rebuilt at start (the state file).
enum class Durability { Synced, Cached };
void atomic_write_file(const std::string& path, const std::string& content, mode_t mode,
                       Durability durability = Durability::Synced);

// strerror(err), but safe to call from several threads at once.
std::string errno_text(int err);

// Reads a whole file; throws std::runtime_error naming the path on failure.
std::string read_file(const std::string& path);

}  // namespace gigent
