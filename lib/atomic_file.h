// Small files that must survive crashes: written whole or not at all, private to the owner.
#pragma once

#include <string>

#include "result.h"

namespace vesta {

// Writes `data` to `path` with mode `mode` via a temp file in the same directory: write, fsync,
// rename (or link, when `replace` is false, so an existing file is never overwritten), fsync of
// the directory. A crash at any moment leaves either the old file or the new one.
Result<void> writeFileAtomic(const std::string& path, const std::string& data, bool replace,
                             unsigned mode = 0600);

// Reads a private file (regular, not a symlink, no group/other permission bits), at most
// `maxBytes`. The error says how to fix a too-open mode. ENOENT is reported as "missing".
Result<std::string> readPrivateFile(const std::string& path, size_t maxBytes);

// True when readPrivateFile failed only because the file does not exist.
bool isMissingFileError(const std::string& error);

// Creates `dir` and its parents with mode 0700 where missing. Refuses a `dir` that every user
// may write to (0777, or a shared sticky directory such as /tmp), saying how to fix it.
Result<void> makePrivateDirs(const std::string& dir);

}  // namespace vesta
