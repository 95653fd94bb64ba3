#include "beacon.h"

#include <cstring>

#include "beacon_fields.h"
#include "bytes.h"
#include "config.h"

namespace vesta {
namespace {

constexpr uint8_t kMagic[4] = {'V', 'S', 'T', 'B'};
constexpr size_t kHeaderSize = sizeof kMagic + 1;
constexpr size_t kNonceSize = 12;

}  // namespace

const char* dropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::BadKey:
      return "bad_key";
    case DropReason::Malformed:
      return "malformed";
    case DropReason::Replay:
      return "replay";
    case DropReason::Oversize:
      return "oversize";
    case DropReason::Reflected:
      return "reflected";
    case DropReason::Stale:
      return "stale";
  }
  return "malformed";
}

Bytes encodeBeaconBody(const Beacon& b) {
  ByteWriter w;
  // Room for a whole beacon up front: one allocation, and GCC 12 no longer sees the first
  // insert into an empty vector as an overflow (a false -Wstringop-overflow, PR 105651).
  w.data().reserve(kMaxBeaconBytes);
  w.bytes(b.key);
  w.u64(b.incarnation);
  w.u64(b.sequence);
  w.u64(b.sent_ms);
  w.u16(b.port);
  w.u8(b.leaving ? 1 : 0);
  w.shortString(b.name);
  w.u16(b.status.cores);
  w.u16(b.status.cpu_permille);
  w.u32(b.status.mem_available_mb);
  w.u32(b.status.mem_offer_mb);
  w.u32(b.status.spare_millicores);
  w.u8(static_cast<uint8_t>(b.status.power));
  w.u16(b.status.willingness_permille);
  w.u8(b.status.gpus);
  w.u16(b.status.temp_decicelsius);
  w.u16(b.status.thermal_permille);
  encodeBeaconFields(w, b);
  return std::move(w.data());
}

tl::expected<Beacon, DropReason> decodeBeaconBody(std::span<const uint8_t> body) {
  ByteReader r(body);
  Beacon b;
  r.bytes(b.key);
  b.incarnation = r.u64();
  b.sequence = r.u64();
  b.sent_ms = r.u64();
  b.port = r.u16();
  uint8_t flags = r.u8();
  b.name = r.shortString();
  b.status.cores = r.u16();
  b.status.cpu_permille = r.u16();
  b.status.mem_available_mb = r.u32();
  b.status.mem_offer_mb = r.u32();
  b.status.spare_millicores = r.u32();
  uint8_t power = r.u8();
  b.status.willingness_permille = r.u16();
  b.status.gpus = r.u8();
  b.status.temp_decicelsius = r.u16();
  b.status.thermal_permille = r.u16();
  b.leaving = flags & 1;
  bool valid = decodeBeaconFields(r, b) && r.done() && (flags & ~1u) == 0 &&
               checkNodeName(b.name) && b.port != 0 && b.status.cores > 0 &&
               b.status.cpu_permille <= 1000 && power <= 2 &&
               b.status.willingness_permille <= 1000 && b.status.thermal_permille <= 1000 &&
               (b.status.temp_decicelsius <= 2000 || b.status.temp_decicelsius == kNoTemperature);
  if (!valid) return tl::unexpected(DropReason::Malformed);
  b.status.power = static_cast<PowerMode>(power);
  return b;
}

Bytes sealBeacon(const Key& beaconKey, const Beacon& beacon) {
  Bytes packet(kMagic, kMagic + sizeof kMagic);
  packet.push_back(kBeaconVersion);
  Nonce nonce{};
  randomBytes(nonce);  // random per packet: beacons have no shared counter to build one from
  packet.insert(packet.end(), nonce.begin(), nonce.end());
  Bytes sealed =
      seal(beaconKey, nonce, std::span(packet).first(kHeaderSize), encodeBeaconBody(beacon));
  packet.insert(packet.end(), sealed.begin(), sealed.end());
  return packet;
}

bool beaconFresh(const Beacon& beacon, uint64_t wallNowMs) {
  uint64_t off =
      beacon.sent_ms > wallNowMs ? beacon.sent_ms - wallNowMs : wallNowMs - beacon.sent_ms;
  return off <= kBeaconMaxSkewMs;
}

bool isOwnEcho(const Beacon& beacon, uint64_t incarnation, uint64_t lastSequence) {
  return beacon.incarnation == incarnation && beacon.sequence <= lastSequence &&
         beacon.sequence + 1 >= lastSequence;
}

tl::expected<Beacon, DropReason> openBeacon(const Key& beaconKey, std::span<const uint8_t> packet) {
  if (packet.size() > kMaxBeaconBytes) return tl::unexpected(DropReason::Oversize);
  if (packet.size() < kHeaderSize + kNonceSize + kTagSize ||
      std::memcmp(packet.data(), kMagic, sizeof kMagic) != 0 || packet[4] != kBeaconVersion)
    return tl::unexpected(DropReason::Malformed);
  Nonce nonce{};
  std::copy(packet.begin() + kHeaderSize, packet.begin() + kHeaderSize + kNonceSize, nonce.begin());
  auto body =
      open(beaconKey, nonce, packet.first(kHeaderSize), packet.subspan(kHeaderSize + kNonceSize));
  if (!body) return tl::unexpected(DropReason::BadKey);
  return decodeBeaconBody(*body);
}

}  // namespace vesta
