// libFuzzer target: the beacon decoder (body) and the whole-packet opener. Decodes, and where
// that succeeds re-encodes and checks the round trip, so the codec cannot silently disagree.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "beacon.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = std::span<const uint8_t>(data, size);
  if (auto b = vesta::decodeBeaconBody(input)) {
    auto again = vesta::encodeBeaconBody(*b);
    if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
    // The clock window is symmetric and holds its own edge, whatever time a beacon carries.
    if (!vesta::beaconFresh(*b, b->sent_ms)) std::abort();
    uint64_t late = b->sent_ms + vesta::kBeaconMaxSkewMs + 1;
    if (late > b->sent_ms && vesta::beaconFresh(*b, late)) std::abort();
    if (b->sent_ms > vesta::kBeaconMaxSkewMs &&
        vesta::beaconFresh(*b, b->sent_ms - vesta::kBeaconMaxSkewMs - 1))
      std::abort();
    (void)vesta::isOwnEcho(*b, b->incarnation, b->sequence);
  }
  // A fixed key: random inputs must fail authentication cheaply and never crash.
  static const vesta::Key key{};
  (void)vesta::openBeacon(key, input);
  return 0;
}
