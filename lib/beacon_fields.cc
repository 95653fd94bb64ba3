#include "beacon_fields.h"

#include "gpu_advert.h"

namespace vesta {
namespace {

constexpr uint8_t kRunsI386 = 1;

Bytes encodePlatform(const NodePlatform& p) {
  ByteWriter w;
  w.shortString(p.arch.machine);
  w.u8(static_cast<uint8_t>(p.arch.bits));
  w.u8(p.arch.runsI386 ? kRunsI386 : 0);
  w.shortString(p.kernel);
  return std::move(w.data());
}

bool decodePlatform(std::span<const uint8_t> body, NodePlatform& p) {
  ByteReader r(body);
  std::string machine = r.shortString();
  uint8_t bits = r.u8();
  uint8_t flags = r.u8();
  std::string kernel = r.shortString();
  if (!r.done() || !validPlatformWord(machine) || !validPlatformWord(kernel) ||
      (bits != 0 && bits != 32 && bits != 64) || (flags & ~kRunsI386) != 0)
    return false;
  p.arch = nodeArchFrom(machine, flags & kRunsI386);
  p.arch.bits = bits;  // as the sender measured it: a 32-bit user space may run on a 64-bit kernel
  p.kernel = std::move(kernel);
  return true;
}

void putField(ByteWriter& w, uint8_t tag, const Bytes& field) {
  w.u8(tag);
  w.u16(static_cast<uint16_t>(field.size()));  // each is far below 512 bytes, a whole beacon
  w.bytes(field);
}

}  // namespace

void encodeBeaconFields(ByteWriter& w, const Beacon& beacon) {
  if (beacon.status.platform.known())
    putField(w, kBeaconFieldPlatform, encodePlatform(beacon.status.platform));
  if (beacon.status.gpu != GpuAdvert{}) {
    ByteWriter gpu;
    encodeGpuAdvert(gpu, beacon.status.gpu);
    putField(w, kBeaconFieldGpus, gpu.data());
  }
}

bool decodeBeaconFields(ByteReader& r, Beacon& beacon) {
  while (r.ok() && !r.done()) {
    uint8_t tag = r.u8();
    size_t len = r.u16();
    Bytes body(len);
    r.bytes(body);
    if (!r.ok()) return false;
    if (tag == kBeaconFieldPlatform && !decodePlatform(body, beacon.status.platform)) return false;
    if (tag == kBeaconFieldGpus) {
      auto gpu = decodeGpuAdvert(body);
      if (!gpu) return false;
      beacon.status.gpu = std::move(*gpu);
    }
    // Any other tag is a field of a newer node: skipped.
  }
  return r.ok();
}

}  // namespace vesta
