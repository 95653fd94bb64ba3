// Discovery beacons: a node's identity and status snapshot, sealed with
// AES-256-GCM under the federation's beacon key. Format byte by byte in docs/protocol.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <tl/expected.hpp>

#include "crypto.h"
#include "identity.h"
#include "power.h"

namespace vesta {

// What placement needs to know about a node, as one beacon carries it.
struct NodeSnapshot {
  uint16_t cores = 0;
  uint16_t cpu_permille = 0;  // busy share x 1000
  uint32_t mem_available_mb = 0;
  uint32_t mem_offer_mb = 0;
  uint32_t spare_millicores = 0;  // cores it lends now x 1000
  PowerMode power = PowerMode::Grid;
  uint16_t willingness_permille = 1000;
  uint8_t gpus = 0;
  bool operator==(const NodeSnapshot&) const = default;
};

struct Beacon {
  PublicKey key{};           // the sender's Ed25519 public key: who it is
  uint64_t incarnation = 0;  // grows at every start of the sender
  uint64_t sequence = 0;     // grows with every beacon within one incarnation
  uint16_t port = 0;         // the sender's TCP link port
  bool leaving = false;      // the sender is shutting down cleanly
  std::string name;
  NodeSnapshot status;
  bool operator==(const Beacon&) const = default;
};

// Why a packet was dropped; counted per reason and shown by `vesta status`.
enum class DropReason { BadKey, Malformed, Replay, Oversize, Reflected };
const char* dropReasonName(DropReason reason);

inline constexpr size_t kMaxBeaconBytes = 512;
inline constexpr uint8_t kBeaconVersion = 1;

// The plaintext body, and its strict decoder (exact length, valid name and ranges).
Bytes encodeBeaconBody(const Beacon& beacon);
tl::expected<Beacon, DropReason> decodeBeaconBody(std::span<const uint8_t> body);

// A whole UDP payload: header (magic, version) | random 96-bit nonce | sealed body.
Bytes sealBeacon(const Key& beaconKey, const Beacon& beacon);
// Authenticates and decodes a UDP payload. Nothing is parsed before the tag checks out.
tl::expected<Beacon, DropReason> openBeacon(const Key& beaconKey, std::span<const uint8_t> packet);

}  // namespace vesta
