#pragma once

#include <sys/types.h>

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

// The small files LoChat keeps between runs: the server's key and
// certificate, the client's pinned servers, and any other state a server or
// client writes. Each is replaced whole, through a temporary file renamed
// into place, so a crash mid-write leaves the old file or the new one, never
// half of either. No locks here: callers that may write one file from
// several threads or processes serialise themselves (certificate.hpp locks).
namespace lochat::files {

// Makes every directory above `file` that is missing, mode 0700: state may
// hold keys and who said what, so only its owner may list it.
void make_parent_directories(const std::string& file);

// Writes `path` via `path`.new, created with `mode` before any byte is
// written (a key is never readable by others, even briefly), flushed to
// disk, then renamed over `path`. `write` returns false on failure. Throws
// NetError naming the file.
void write_atomically(const std::string& path, mode_t mode,
                      const std::function<bool(std::FILE*)>& write);
void write_atomically(const std::string& path, mode_t mode, std::string_view text);

// The whole file; "" if it does not exist or cannot be read.
std::string read_all(const std::string& path);

}  // namespace lochat::files
