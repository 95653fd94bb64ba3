// Federation cryptography (docs/protocol.md), all from OpenSSL 3 EVP: the slow root-key KDF,
// HKDF subkeys, and AES-256-GCM sealing. Pure functions; no I/O, no logging.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "result.h"

namespace vesta {

using Key = std::array<uint8_t, 32>;
using Nonce = std::array<uint8_t, 12>;
using Bytes = std::vector<uint8_t>;

constexpr size_t kTagSize = 16;

// scrypt cost. The default (N = 2^15, r = 8, p = 1: 32 MiB) takes ~0.16 s on a desktop core
// and about a second on a Raspberry Pi 4 core: slow enough to make guessing a federation key
// expensive, fast enough that a Pi starts promptly. Never OpenSSL's 1 GiB default.
struct ScryptParams {
  uint64_t n = 1u << 15;
  uint32_t r = 8;
  uint32_t p = 1;
};

// The fixed protocol salt: the root key depends only on the secret, so every node derives the
// same one. Changing it is a protocol version change.
inline constexpr std::string_view kRootKeySalt = "vesta-federation-v1";
inline constexpr std::string_view kBeaconLabel = "vesta beacon v1";
inline constexpr std::string_view kLinkLabel = "vesta link v1";

// scrypt(password, salt) -> `length` bytes.
Result<Bytes> scrypt(std::string_view password, std::span<const uint8_t> salt,
                     const ScryptParams& params, size_t length);

// The federation root key from the shared secret. Slow on purpose: run it off the loop.
Result<Key> deriveRootKey(std::string_view secret, const ScryptParams& params = {});

// HKDF-SHA256 (RFC 5869) -> `length` bytes. An empty salt means HashLen zero bytes.
Result<Bytes> hkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                         std::span<const uint8_t> info, size_t length);

// A 32-byte subkey of `root` for one purpose, e.g. deriveSubkey(root, kBeaconLabel).
Key deriveSubkey(const Key& root, std::string_view label);

// AES-256-GCM: ciphertext || 16-byte tag. A nonce must never repeat under one key.
Bytes seal(const Key& key, const Nonce& nonce, std::span<const uint8_t> aad,
           std::span<const uint8_t> plaintext);

// Opens what seal made; nullopt when anything (key, nonce, aad, ciphertext, tag) is wrong or the
// input is shorter than a tag. Never returns unauthenticated plaintext.
std::optional<Bytes> open(const Key& key, const Nonce& nonce, std::span<const uint8_t> aad,
                          std::span<const uint8_t> sealed);

// Bytes from OpenSSL's CSPRNG.
void randomBytes(std::span<uint8_t> out);

}  // namespace vesta
