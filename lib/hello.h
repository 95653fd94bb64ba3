// The Hello frame each side of a link sends first, inside the encrypted channel: who it is (its
// Ed25519 key and a signature over this connection's handshake hash) and its exec policy, so a
// peer's consent is known the moment its link is up and placement never sees a linked peer whose
// policy has not arrived yet. Layout in docs/protocol.md (Identity proof).
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

// 3: exec work has frame types of its own (ExecRelease, ExecRefuse, ExecUsage, FileCredit), so
// a frame is routed by its type alone. An older vestad would send exec work the cpu types, which
// this one hands to its cpu engines: versions 1 (no policy) and 2 are refused, not misrouted.
// 4: an exec offer carries a stdin flag and stdin travels as ExecStdin/StdinCredit; a version 3
// runner would refuse every offer as malformed, so the link is refused instead.
// 5: an exec offer may be a batch (bit 1 of that flag, lib/batch_stream.h), which a version 4
// runner would refuse as malformed.
inline constexpr uint8_t kHelloVersion = 5;

struct Hello {
  PublicKey key{};
  std::array<uint8_t, 64> signature{};
  std::optional<ExecPolicy> exec;  // its exec policy: always set by decodeHello
  bool operator==(const Hello&) const = default;
};

// Always the current version; `hello.exec` must be set.
Bytes encodeHello(const Hello& hello);
// Strict: 96 bytes of proof, the current version, a well-formed exec policy, nothing more.
Result<Hello> decodeHello(std::span<const uint8_t> payload);

// What a Hello signs: a context, the signer's role and this handshake's hash, so a proof can be
// neither replayed on another connection nor reflected back to its sender. The policy is not
// signed: it travels in the same frame, sealed under this connection's keys, which only the
// party whose signature binds the connection holds.
Bytes helloMessage(bool signerDialled, const std::array<uint8_t, 32>& handshakeHash);

}  // namespace vesta
