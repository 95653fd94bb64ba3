#include <catch2/catch.hpp>

#include "proto.h"

using namespace vesta;

TEST_CASE("every work message survives encode and decode", "[proto]") {
  OfferMsg cpu{7, JobKind::Cpu, {9, 8, 7}, 200'000'000, 0, 0};
  CHECK(*decodeOffer(encode(cpu)) == cpu);
  OfferMsg mem{8, JobKind::Mem, {}, 0, 512, 3000};
  CHECK(*decodeOffer(encode(mem)) == mem);
  AcceptMsg accept{7, 4};
  CHECK(*decodeAccept(encode(accept)) == accept);
  RefuseMsg refuse{7, RefuseCode::Power, "pi4 lends nothing (battery 12%)"};
  CHECK(*decodeRefuse(encode(refuse)) == refuse);
  ReasonMsg release{7, "done"};
  CHECK(*decodeReason(encode(release)) == release);
  ChunkMsg chunk{7, 1 << 20, 3 << 20};
  CHECK(*decodeChunk(encode(chunk)) == chunk);
  ChunkDoneMsg done{7, 1 << 20, 3 << 20, {0xab, 0xcd}};
  CHECK(*decodeChunkDone(encode(done)) == done);
  ProgressMsg progress{8, 100, 400};
  CHECK(*decodeProgress(encode(progress)) == progress);
  JobDoneMsg failed{8, false, "cannot allocate memory"};
  CHECK(*decodeJobDone(encode(failed)) == failed);
  UsageMsg usage{8, 1'500'000, 512 * 3000};
  CHECK(*decodeUsage(encode(usage)) == usage);
}

TEST_CASE("every decoder refuses a truncated or padded payload", "[proto]") {
  Bytes offer = encode(OfferMsg{1, JobKind::Cpu, {}, 1000, 0, 0});
  for (size_t n = 0; n < offer.size(); ++n) CHECK_FALSE(decodeOffer(std::span(offer).first(n)));
  offer.push_back(0);
  CHECK_THAT(decodeOffer(offer).error(), Catch::Contains("trailing bytes"));
  Bytes chunk = encode(ChunkMsg{1, 0, 10});
  for (size_t n = 0; n < chunk.size(); ++n) CHECK_FALSE(decodeChunk(std::span(chunk).first(n)));
  Bytes reason = encode(ReasonMsg{1, "no"});
  CHECK_FALSE(decodeReason(std::span(reason).first(reason.size() - 1)));
}

TEST_CASE("decoders refuse values out of range", "[proto]") {
  Bytes badKind = encode(OfferMsg{1, JobKind::Cpu, {}, 1000, 0, 0});
  badKind[8] = 2;
  CHECK_THAT(decodeOffer(badKind).error(), Catch::Contains("unknown job kind 2"));
  CHECK_FALSE(decodeOffer(encode(OfferMsg{1, JobKind::Cpu, {}, 0, 0, 0})));
  CHECK_FALSE(decodeOffer(encode(OfferMsg{1, JobKind::Mem, {}, 0, 0, 100})));  // 0 MiB
  CHECK_THAT(decodeChunk(encode(ChunkMsg{1, 10, 10})).error(), Catch::Contains("empty"));
  CHECK_FALSE(decodeChunk(encode(ChunkMsg{1, 10, 5})));
  CHECK_FALSE(decodeChunkDone(encode(ChunkDoneMsg{1, 0, ~0ull, {}})));
  CHECK_FALSE(decodeProgress(encode(ProgressMsg{1, 5, 4})));
  CHECK_THAT(decodeUsage(encode(UsageMsg{1, ~0ull, 0})).error(), Catch::Contains("more than"));
  Bytes badCode = encode(RefuseMsg{1, RefuseCode::Capped, ""});
  badCode[8] = kMaxRefuseCode + 1;
  CHECK_THAT(decodeRefuse(badCode).error(), Catch::Contains("unknown code"));
  Bytes badOk = encode(JobDoneMsg{1, true, ""});
  badOk[8] = 7;
  CHECK_FALSE(decodeJobDone(badOk));
}

TEST_CASE("a reason longer than the wire allows is cut, not mislabelled", "[proto]") {
  ReasonMsg m{3, std::string(300, 'x')};
  auto back = decodeReason(encode(m));
  REQUIRE(back);
  CHECK(back->reason == std::string(kMaxWireText, 'x'));
}
