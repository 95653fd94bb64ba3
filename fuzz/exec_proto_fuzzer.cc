// libFuzzer target: the exec-frame decoders and the --get stream parser. The first byte picks
// one; whatever decodes must encode back to the same bytes, and the parser must never read past
// what it was given or hand out a file name that could leave the current directory.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "exec_proto.h"

namespace {

template <typename Decode>
void roundTrip(Decode decode, std::span<const uint8_t> payload) {
  auto m = decode(payload);
  if (!m) return;
  vesta::Bytes again = vesta::encode(*m);
  if (again.size() != payload.size() || !std::equal(again.begin(), again.end(), payload.begin()))
    std::abort();
}

void parseFiles(std::span<const uint8_t> bytes) {
  vesta::FilesStreamParser parser;
  // Fed in two pieces, so records split across reads are exercised too.
  size_t half = bytes.size() / 2;
  for (auto piece : {bytes.subspan(0, half), bytes.subspan(half)}) {
    auto ok = parser.feed(piece, [](const vesta::FilesStreamParser::Event& e) {
      if (e.kind == vesta::FilesStreamParser::Event::Kind::Begin &&
          !vesta::checkFileName(e.header.name))
        std::abort();
    });
    if (!ok) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto payload = std::span<const uint8_t>(data + 1, size - 1);
  switch (data[0] % 10) {
    case 0:
      roundTrip(vesta::decodeExecPolicy, payload);
      break;
    case 1:
      roundTrip(vesta::decodeExecOffer, payload);
      break;
    case 2:
      roundTrip(vesta::decodeExecAccept, payload);
      break;
    case 3:
      roundTrip(vesta::decodeFileData, payload);
      break;
    case 4:
      roundTrip(vesta::decodeOutput, payload);
      break;
    case 5:
      roundTrip(vesta::decodeCredit, payload);
      break;
    case 6:
      roundTrip(vesta::decodeExecExit, payload);
      break;
    case 7:
      roundTrip(vesta::decodeStdin, payload);
      break;
    case 8:
      roundTrip(vesta::decodeStdinCredit, payload);
      break;
    default:
      parseFiles(payload);
      break;
  }
  return 0;
}
