// A beacon body's tagged fields: after the fixed part, zero or more (u8 tag, u16 length, bytes)
// fields.
// A receiver skips a tag it does not know, so a field can be added without a new beacon version
// and an older node's beacons (which end after the fixed part) still parse. Layout in
// docs/protocol.md.
#pragma once

#include "beacon.h"
#include "bytes.h"

namespace vesta {

// Tag 1: the sender's platform (machine, word size, i386 flag, kernel release).
inline constexpr uint8_t kBeaconFieldPlatform = 1;
// Tag 2: its GPUs, whether it lends them and how many are free (lib/gpu_advert).
inline constexpr uint8_t kBeaconFieldGpus = 2;

void encodeBeaconFields(ByteWriter& w, const Beacon& beacon);
// Reads fields to the end of the body into `beacon`; false when one is short or malformed.
bool decodeBeaconFields(ByteReader& r, Beacon& beacon);

}  // namespace vesta
