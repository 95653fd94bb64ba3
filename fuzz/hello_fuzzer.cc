// libFuzzer target: the link Hello decoder (identity proof and the exec policy). Decodes, and
// where a Hello succeeds re-encodes and checks the round trip, so the codec cannot silently
// disagree with itself.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "hello.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = std::span<const uint8_t>(data, size);
  auto hello = vesta::decodeHello(input);
  if (!hello) return 0;
  if (!hello->exec) std::abort();
  auto again = vesta::encodeHello(*hello);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  return 0;
}
