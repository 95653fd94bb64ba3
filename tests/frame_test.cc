#include <catch2/catch.hpp>

#include <random>

#include "frame.h"
#include "noise.h"

using vesta::Frame;
using vesta::FrameError;
using vesta::FrameType;

namespace {

vesta::Key randomKey() {
  vesta::Key k{};
  vesta::randomBytes(k);
  return k;
}

}  // namespace

TEST_CASE("frames survive sealing and arrive whole however TCP splits the stream", "[frame]") {
  auto key = randomKey();
  vesta::FrameSealer sealer(key);
  std::vector<Frame> sent = {{FrameType::Hello, vesta::Bytes(100, 7)},
                             {FrameType::Ping, {1, 2, 3, 4, 5, 6, 7, 8}},
                             {FrameType::Pong, {}},
                             {FrameType::Bye, vesta::Bytes(70000, 9)}};
  vesta::Bytes stream;
  for (auto& f : sent) {
    auto rec = sealer.seal(f);
    REQUIRE(rec);
    stream.insert(stream.end(), rec->begin(), rec->end());
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    vesta::FrameOpener opener(key);
    std::vector<Frame> got;
    for (size_t at = 0; at < stream.size();) {
      size_t n = std::min<size_t>(stream.size() - at, 1 + rng() % 5000);
      REQUIRE(opener.feed(std::span(stream).subspan(at, n)));
      at += n;
      while (auto f = opener.next()) got.push_back(*f);
    }
    CHECK(got == sent);
    CHECK(opener.buffered() == 0);
  }
}

TEST_CASE("the same frame seals differently each time (the counter nonce moves)", "[frame]") {
  vesta::FrameSealer sealer(randomKey());
  Frame f{FrameType::Ping, {1}};
  CHECK(*sealer.seal(f) != *sealer.seal(f));
}

TEST_CASE("a length over the cap is refused before any body arrives", "[frame]") {
  vesta::FrameOpener opener(randomKey());
  vesta::Bytes header = {0x7f, 0xff, 0xff, 0xff};
  CHECK(opener.feed(header).error() == FrameError::Oversize);
  vesta::FrameOpener tiny(randomKey());
  CHECK(tiny.feed(vesta::Bytes{0, 0, 0, 3}).error() == FrameError::Oversize);
  vesta::FrameSealer sealer(randomKey());
  CHECK(sealer.seal({FrameType::Ping, vesta::Bytes(vesta::kMaxFramePayload + 1)}).error() ==
        FrameError::Oversize);
}

TEST_CASE("wrong key, flipped bits, replayed and reordered records fail authentication",
          "[frame]") {
  auto key = randomKey();
  vesta::FrameSealer sealer(key);
  auto a = *sealer.seal({FrameType::Ping, {1}});
  auto b = *sealer.seal({FrameType::Ping, {2}});
  CHECK(vesta::FrameOpener(randomKey()).feed(a).error() == FrameError::BadAuth);
  for (size_t at : {size_t{3}, size_t{4}, a.size() - 1}) {
    auto bad = a;
    bad[at] ^= 1;
    auto r = vesta::FrameOpener(key).feed(bad);
    REQUIRE_FALSE(r);  // a flipped length byte is oversize or bad auth; never accepted
  }
  vesta::FrameOpener replay(key);
  REQUIRE(replay.feed(a));
  CHECK(replay.feed(a).error() == FrameError::BadAuth);                   // the counter moved on
  CHECK(vesta::FrameOpener(key).feed(b).error() == FrameError::BadAuth);  // b before a
}

TEST_CASE("an unknown frame type or protocol version is rejected after authentication", "[frame]") {
  // Build records by hand with the same layout, as a newer or broken peer would.
  auto key = randomKey();
  auto record = [&](uint8_t version, uint8_t type) {
    vesta::Bytes plain = {version, type};
    std::array<uint8_t, 4> len = {0, 0, 0, static_cast<uint8_t>(plain.size() + vesta::kTagSize)};
    auto sealed = vesta::seal(key, vesta::noiseNonce(0), len, plain);
    vesta::Bytes out(len.begin(), len.end());
    out.insert(out.end(), sealed.begin(), sealed.end());
    return out;
  };
  CHECK(vesta::FrameOpener(key).feed(record(1, 99)).error() == FrameError::UnknownType);
  CHECK(vesta::FrameOpener(key).feed(record(2, 2)).error() == FrameError::BadVersion);
  CHECK(vesta::FrameOpener(key).feed(record(1, 2)));
}
