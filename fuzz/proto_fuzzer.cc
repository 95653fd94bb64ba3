// libFuzzer target: the work-frame decoders. The first byte picks the decoder; whatever decodes
// must encode back to the same bytes (a decoder that accepts two spellings of one message would
// let a peer confuse the coordinator's bookkeeping).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proto.h"

namespace {

template <typename Decode>
void roundTrip(Decode decode, std::span<const uint8_t> payload) {
  auto m = decode(payload);
  if (!m) return;
  vesta::Bytes again = vesta::encode(*m);
  if (again.size() != payload.size() || !std::equal(again.begin(), again.end(), payload.begin()))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto payload = std::span<const uint8_t>(data + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      roundTrip(vesta::decodeOffer, payload);
      break;
    case 1:
      roundTrip(vesta::decodeAccept, payload);
      break;
    case 2:
      roundTrip(vesta::decodeReason, payload);
      break;
    case 3:
      roundTrip(vesta::decodeChunk, payload);
      break;
    case 4:
      roundTrip(vesta::decodeChunkDone, payload);
      break;
    case 5:
      roundTrip(vesta::decodeProgress, payload);
      break;
    case 6:
      roundTrip(vesta::decodeJobDone, payload);
      break;
    case 7:
      roundTrip(vesta::decodeUsage, payload);
      break;
    case 8:
      roundTrip(vesta::decodeRefuse, payload);
      break;
  }
  return 0;
}
