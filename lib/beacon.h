// Discovery beacons: a node's identity and status snapshot, sealed with
// AES-256-GCM under the federation's beacon key. Format byte by byte in docs/protocol.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <tl/expected.hpp>

#include "crypto.h"
#include "gpu_advert.h"
#include "identity.h"
#include "machine_arch.h"
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
  // Heat (version 3): the hottest CPU sensor and the share of willingness it leaves.
  uint16_t temp_decicelsius = 0xffff;  // degrees Celsius x 10; kNoTemperature: no sensor
  uint16_t thermal_permille = 1000;    // thermal factor x 1000 (0..1000)
  GpuAdvert gpu = {};                  // a tagged field: absent (all empty) on a node without GPUs
  NodePlatform platform;  // a tagged field (lib/beacon_fields); unknown from older nodes
  bool operator==(const NodeSnapshot&) const = default;
};

inline constexpr uint16_t kNoTemperature = 0xffff;

struct Beacon {
  PublicKey key{};           // the sender's Ed25519 public key: who it is
  uint64_t incarnation = 0;  // grows at every start of the sender
  uint64_t sequence = 0;     // grows with every beacon within one incarnation
  uint64_t sent_ms = 0;      // the sender's wall clock (unix ms) when it sealed this beacon
  uint16_t port = 0;         // the sender's TCP link port
  bool leaving = false;      // the sender is shutting down cleanly
  std::string name;
  NodeSnapshot status;
  bool operator==(const Beacon&) const = default;
};

// Why a packet was dropped; counted per reason and shown by `vesta status`.
enum class DropReason { BadKey, Malformed, Replay, Oversize, Reflected, Stale };
const char* dropReasonName(DropReason reason);

inline constexpr size_t kMaxBeaconBytes = 512;
// 2: the body carries the sender's clock (sent_ms). Version 1 had none, so a captured one could
// be replayed forever to a receiver that has just restarted; version 1 is refused.
// 3: the body ends with the heat (temperature, thermal factor); version 2 is refused.
inline constexpr uint8_t kBeaconVersion = 3;
// How far a beacon's sent_ms may be from the receiver's clock, either way. It bounds how long a
// captured beacon can be replayed (to a receiver that forgot the sender's sequence by
// restarting); it must also cover the skew of household clocks. Why 120 s: docs/protocol.md.
inline constexpr uint64_t kBeaconMaxSkewMs = 120'000;

// The plaintext body, and its strict decoder (exact length, valid name and ranges).
Bytes encodeBeaconBody(const Beacon& beacon);
tl::expected<Beacon, DropReason> decodeBeaconBody(std::span<const uint8_t> body);

// A whole UDP payload: header (magic, version) | random 96-bit nonce | sealed body.
Bytes sealBeacon(const Key& beaconKey, const Beacon& beacon);

// A beacon sent more than kBeaconMaxSkewMs before or after `wallNowMs` (the receiver's clock,
// unix ms) is stale: a replay, or a sender whose clock is off.
bool beaconFresh(const Beacon& beacon, uint64_t wallNowMs);

// One of our own beacons heard back: the copy of the newest one (or the one before it, which a
// busy loop may read only after sending the next) is our broadcast looping back; anything else
// carrying our key was recorded and sent back to us, and counts as `reflected`.
bool isOwnEcho(const Beacon& beacon, uint64_t incarnation, uint64_t lastSequence);
// Authenticates and decodes a UDP payload. Nothing is parsed before the tag checks out.
tl::expected<Beacon, DropReason> openBeacon(const Key& beaconKey, std::span<const uint8_t> packet);

}  // namespace vesta
