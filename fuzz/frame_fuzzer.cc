// libFuzzer target: the link frame reader and the handshake's message reader. Inputs are fed in
// two pieces at a data-chosen split, as TCP might deliver them.
#include <cstdint>
#include <span>

#include "frame.h"
#include "noise.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vesta::Key key{};
  auto input = std::span<const uint8_t>(data, size);
  size_t cut = size ? data[0] % (size + 1) : 0;
  vesta::FrameOpener opener(key);
  if (opener.feed(input.first(cut)) && opener.feed(input.subspan(cut)))
    while (opener.next()) {
    }
  vesta::NoiseHandshake responder(vesta::NoiseHandshake::Role::Responder, key, {});
  (void)responder.readMessage(input);
  return 0;
}
