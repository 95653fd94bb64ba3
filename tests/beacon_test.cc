#include <catch2/catch.hpp>

#include "beacon.h"

namespace {

vesta::Beacon sample() {
  vesta::Beacon b;
  vesta::randomBytes(b.key);
  b.incarnation = 1700000000123;
  b.sequence = 42;
  b.sent_ms = 1700000042123;
  b.port = 7777;
  b.name = "pi4";
  b.status = {4, 250, 3000, 1024, 2250, vesta::PowerMode::Solar, 720, 1, 764, 360, {}, {}};
  return b;
}

vesta::Key randomKey() {
  vesta::Key k{};
  vesta::randomBytes(k);
  return k;
}

}  // namespace

TEST_CASE("a beacon survives sealing and opening unchanged", "[beacon]") {
  auto key = randomKey();
  auto b = sample();
  auto packet = vesta::sealBeacon(key, b);
  CHECK(packet.size() < vesta::kMaxBeaconBytes);
  auto opened = vesta::openBeacon(key, packet);
  REQUIRE(opened);
  CHECK(*opened == b);
  b.leaving = true;
  CHECK(*vesta::openBeacon(key, vesta::sealBeacon(key, b)) == b);
}

TEST_CASE("two seals of one beacon differ (fresh nonce) and hide the name", "[beacon]") {
  auto key = randomKey();
  auto a = vesta::sealBeacon(key, sample());
  auto b = vesta::sealBeacon(key, sample());
  CHECK(a != b);
  std::string text(a.begin(), a.end());
  CHECK(text.find("pi4") == std::string::npos);
}

TEST_CASE("packets under another key, tampered or malformed are dropped with a reason",
          "[beacon]") {
  auto key = randomKey();
  auto packet = vesta::sealBeacon(key, sample());
  CHECK(vesta::openBeacon(randomKey(), packet).error() == vesta::DropReason::BadKey);
  for (size_t i = 5; i < packet.size(); i += 7) {  // nonce, ciphertext and tag
    auto flipped = packet;
    flipped[i] ^= 1;
    CHECK(vesta::openBeacon(key, flipped).error() == vesta::DropReason::BadKey);
  }
  // Version 1 carried no time, so its beacons could be replayed forever: refused like garbage;
  // version 2 had no heat, and its shorter body would not decode.
  for (int version : {0, 1, 2, 4}) {
    auto badVersion = packet;
    badVersion[4] = static_cast<uint8_t>(version);
    CHECK(vesta::openBeacon(key, badVersion).error() == vesta::DropReason::Malformed);
  }
  auto badMagic = packet;
  badMagic[0] = 'X';
  CHECK(vesta::openBeacon(key, badMagic).error() == vesta::DropReason::Malformed);
  for (size_t len : {size_t{0}, size_t{4}, size_t{20}, packet.size() - 1})
    CHECK_FALSE(vesta::openBeacon(key, std::span(packet).first(len)));
  vesta::Bytes huge(vesta::kMaxBeaconBytes + 1, 0);
  CHECK(vesta::openBeacon(key, huge).error() == vesta::DropReason::Oversize);
}

TEST_CASE("the body decoder rejects bad names, ranges and trailing bytes", "[beacon]") {
  auto body = vesta::encodeBeaconBody(sample());
  REQUIRE(vesta::decodeBeaconBody(body));
  auto trailing = body;
  trailing.push_back(0);
  CHECK_FALSE(vesta::decodeBeaconBody(trailing));
  for (size_t len = 0; len < body.size(); ++len)
    CHECK_FALSE(vesta::decodeBeaconBody(std::span(body).first(len)));
  struct Case {
    const char* what;
    void (*mutate)(vesta::Beacon&);
  };
  Case cases[] = {
      {"empty name", [](vesta::Beacon& b) { b.name = ""; }},
      {"name with a slash", [](vesta::Beacon& b) { b.name = "a/b"; }},
      {"port 0", [](vesta::Beacon& b) { b.port = 0; }},
      {"no cores", [](vesta::Beacon& b) { b.status.cores = 0; }},
      {"cpu over 100%", [](vesta::Beacon& b) { b.status.cpu_permille = 1001; }},
      {"willingness over 1", [](vesta::Beacon& b) { b.status.willingness_permille = 1001; }},
  };
  for (auto& c : cases) {
    CAPTURE(c.what);
    auto b = sample();
    c.mutate(b);
    CHECK(vesta::decodeBeaconBody(vesta::encodeBeaconBody(b)).error() ==
          vesta::DropReason::Malformed);
  }
}

TEST_CASE("a beacon is fresh within the tolerated skew either way, stale beyond", "[beacon]") {
  auto b = sample();
  uint64_t sent = b.sent_ms;
  CHECK(vesta::beaconFresh(b, sent));
  CHECK(vesta::beaconFresh(b, sent + vesta::kBeaconMaxSkewMs));  // receiver's clock ahead
  CHECK(vesta::beaconFresh(b, sent - vesta::kBeaconMaxSkewMs));  // sender's clock ahead
  CHECK_FALSE(vesta::beaconFresh(b, sent + vesta::kBeaconMaxSkewMs + 1));
  CHECK_FALSE(vesta::beaconFresh(b, sent - vesta::kBeaconMaxSkewMs - 1));
  CHECK_FALSE(vesta::beaconFresh(b, 0));
  b.sent_ms = 0;  // a sender that never set its clock
  CHECK_FALSE(vesta::beaconFresh(b, sent));
  CHECK(vesta::kBeaconMaxSkewMs >= 60'000);
}

TEST_CASE("our own beacons: the newest looping back is an echo, older or other ones reflected",
          "[beacon]") {
  auto b = sample();  // incarnation 1700000000123, sequence 42
  CHECK(vesta::isOwnEcho(b, b.incarnation, 42));
  CHECK(vesta::isOwnEcho(b, b.incarnation, 43));  // read just after the next one went out
  CHECK_FALSE(vesta::isOwnEcho(b, b.incarnation, 44));
  CHECK_FALSE(vesta::isOwnEcho(b, b.incarnation, 1000));
  CHECK_FALSE(vesta::isOwnEcho(b, b.incarnation, 41));      // one we never sent
  CHECK_FALSE(vesta::isOwnEcho(b, b.incarnation + 1, 42));  // an earlier run's
}

TEST_CASE("a beacon carries the heat, and refuses a thermal factor or temperature out of range",
          "[beacon]") {
  auto b = sample();
  auto opened = vesta::decodeBeaconBody(vesta::encodeBeaconBody(b));
  REQUIRE(opened);
  CHECK(opened->status.temp_decicelsius == 764);  // 76.4 °C
  CHECK(opened->status.thermal_permille == 360);
  b.status.temp_decicelsius = vesta::kNoTemperature;  // no sensor: fine
  CHECK(vesta::decodeBeaconBody(vesta::encodeBeaconBody(b)));
  b.status.temp_decicelsius = 2001;  // over 200 °C: no CPU runs there
  CHECK(vesta::decodeBeaconBody(vesta::encodeBeaconBody(b)).error() ==
        vesta::DropReason::Malformed);
  b.status.temp_decicelsius = 700;
  b.status.thermal_permille = 1001;
  CHECK(vesta::decodeBeaconBody(vesta::encodeBeaconBody(b)).error() ==
        vesta::DropReason::Malformed);
}
