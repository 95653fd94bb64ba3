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
  }
  // A fixed key: random inputs must fail authentication cheaply and never crash.
  static const vesta::Key key{};
  (void)vesta::openBeacon(key, input);
  return 0;
}
