// The stdin frames (ExecStdin, StdinCredit) and the offer's stdin flag: round trips, and the
// decoders refusing what a hostile peer could send.
#include <catch2/catch.hpp>

#include "exec_proto.h"
#include "frame.h"

using namespace vesta;

TEST_CASE("stdin frames survive encode and decode", "[exec_proto][stdin]") {
  ExecOfferMsg offer;
  offer.job = 7;
  offer.argv = {"xz", "-c"};
  offer.stdin_piped = true;
  auto o = decodeExecOffer(encode(offer));
  REQUIRE(o);
  CHECK(o->stdin_piped);
  offer.stdin_piped = false;
  CHECK_FALSE(decodeExecOffer(encode(offer))->stdin_piped);

  StdinMsg piece{7, false, Bytes{1, 2, 3}};
  CHECK(*decodeStdin(encode(piece)) == piece);
  StdinMsg end{7, true, {}};
  CHECK(*decodeStdin(encode(end)) == end);
  StdinMsg lastPiece{7, true, Bytes(kMaxDataPiece, 9)};
  CHECK(*decodeStdin(encode(lastPiece)) == lastPiece);

  StdinCreditMsg credit{7, 4096, false};
  CHECK(*decodeStdinCredit(encode(credit)) == credit);
  StdinCreditMsg closed{7, 0, true};
  CHECK(*decodeStdinCredit(encode(closed)) == closed);
  CHECK(knownFrameType(static_cast<uint8_t>(FrameType::ExecStdin)));
  CHECK(knownFrameType(static_cast<uint8_t>(FrameType::StdinCredit)));
}

TEST_CASE("stdin decoders refuse hostile input", "[exec_proto][stdin]") {
  // An empty piece that does not end the stream, or one over a frame's share.
  CHECK_FALSE(decodeStdin(encode(StdinMsg{1, false, {}})));
  CHECK_FALSE(decodeStdin(encode(StdinMsg{1, false, Bytes(kMaxDataPiece + 1, 0)})));
  Bytes badFlag = encode(StdinMsg{1, false, Bytes{1}});
  badFlag[8] = 2;
  CHECK_FALSE(decodeStdin(badFlag));
  Bytes good = encode(StdinMsg{1, true, {}});
  for (size_t cut = 0; cut < good.size(); ++cut)
    CHECK_FALSE(decodeStdin(std::span(good.data(), cut)));

  CHECK_FALSE(decodeStdinCredit(encode(StdinCreditMsg{1, 0, false})));
  CHECK_FALSE(decodeStdinCredit(encode(StdinCreditMsg{1, kStreamWindow + 1, false})));
  Bytes credit = encode(StdinCreditMsg{1, 10, false});
  for (size_t cut = 0; cut < credit.size(); ++cut)
    CHECK_FALSE(decodeStdinCredit(std::span(credit.data(), cut)));
  credit.push_back(0);
  CHECK_FALSE(decodeStdinCredit(credit));
  credit.pop_back();
  credit.back() = 2;
  CHECK_FALSE(decodeStdinCredit(credit));

  ExecOfferMsg offer;
  offer.job = 1;
  offer.argv = {"cat"};
  Bytes flag = encode(offer);
  flag.back() = 2;
  CHECK_FALSE(decodeExecOffer(flag));
}
