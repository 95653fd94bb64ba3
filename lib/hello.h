// The Hello frame each side of a link sends first, inside the encrypted channel: who it is (its
// Ed25519 key and a signature over this connection's handshake hash) and, from version 2, its
// exec policy, so a peer's consent is known the moment its link is up and placement never sees
// a linked peer whose policy has not arrived yet. Layout in docs/protocol.md (Identity proof).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "crypto.h"
#include "exec_policy.h"
#include "identity.h"
#include "result.h"

namespace vesta {

inline constexpr uint8_t kHelloVersion = 2;

struct Hello {
  PublicKey key{};
  std::array<uint8_t, 64> signature{};
  // Its exec policy; nullopt from a version 1 Hello (an older vestad), which sends the policy
  // in an ExecPolicy frame after the link is up.
  std::optional<ExecPolicy> exec;
  bool operator==(const Hello&) const = default;
};

// Always the current version; `hello.exec` must be set.
Bytes encodeHello(const Hello& hello);
// Strict: 96 bytes (version 1), or 96 + version 2 + a well-formed exec policy, nothing more.
Result<Hello> decodeHello(std::span<const uint8_t> payload);

// What a Hello signs: a context, the signer's role and this handshake's hash, so a proof can be
// neither replayed on another connection nor reflected back to its sender. The policy is not
// signed: it travels in the same frame, sealed under this connection's keys, which only the
// party whose signature binds the connection holds.
Bytes helloMessage(bool signerDialled, const std::array<uint8_t, 32>& handshakeHash);

}  // namespace vesta
