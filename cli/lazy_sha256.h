// SHA-256 of a file for `vesta exec --put`, with OpenSSL's libcrypto loaded only then (dlopen):
// every other vesta command, and exec without --put, starts without mapping and relocating
// libcrypto, most of a millisecond of each `vesta` run. The same EVP calls as lib/sha256.
#pragma once

#include <array>
#include <cstdint>

#include "result.h"

namespace vesta {

// The digest of everything `fd` holds from its current offset; an error says why (libcrypto
// missing, or a read error).
Result<std::array<uint8_t, 32>> sha256OfFdLazily(int fd);

}  // namespace vesta
