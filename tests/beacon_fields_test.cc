// The beacon's tagged fields: the platform field round-trips, a beacon without it (an older
// node's) still parses, a field of a newer node is skipped, and a broken one is malformed.
#include <catch2/catch.hpp>

#include "beacon.h"
#include "beacon_fields.h"
#include "bytes.h"

using namespace vesta;

namespace {

Beacon sample() {
  Beacon b;
  randomBytes(b.key);
  b.incarnation = 7;
  b.sequence = 1;
  b.sent_ms = 1700000042123;
  b.port = 7777;
  b.name = "pi4";
  b.status = {4, 250, 3000, 1024, 2250, PowerMode::Grid, 1000, 0, 0xffff, 1000, {}, {}};
  b.status.platform = {nodeArchFrom("aarch64"), "6.1.0-rpi7-rpi-v8"};
  return b;
}

// The body of `b` without any tagged field: what a node without GPUs sent before the platform
// field.
Bytes oldBody(Beacon b) {
  b.status.platform = {};
  return encodeBeaconBody(b);
}

Bytes withField(Bytes body, uint8_t tag, const Bytes& field) {
  body.push_back(tag);
  body.push_back(static_cast<uint8_t>(field.size()));  // u16, little-endian
  body.push_back(static_cast<uint8_t>(field.size() >> 8));
  body.insert(body.end(), field.begin(), field.end());
  return body;
}

Bytes platformField(const std::string& machine, uint8_t bits, uint8_t flags,
                    const std::string& kernel) {
  ByteWriter w;
  w.shortString(machine);
  w.u8(bits);
  w.u8(flags);
  w.shortString(kernel);
  return w.data();
}

}  // namespace

TEST_CASE("a beacon carries its sender's platform and reads it back", "[beacon]") {
  Beacon b = sample();
  auto back = decodeBeaconBody(encodeBeaconBody(b));
  REQUIRE(back);
  CHECK(*back == b);
  CHECK(back->status.platform.arch.machine == "aarch64");
  CHECK(back->status.platform.arch.bits == 64);
  CHECK(back->status.platform.kernel == "6.1.0-rpi7-rpi-v8");
  // An armhf vestad on a 64-bit kernel says so: its word size is its own, not the kernel's.
  b.status.platform.arch.bits = 32;
  CHECK(decodeBeaconBody(encodeBeaconBody(b))->status.platform.arch.bits == 32);
  // i386 support travels as a flag.
  b.status.platform = {nodeArchFrom("x86_64", true), "6.1.0-13-amd64"};
  CHECK(decodeBeaconBody(encodeBeaconBody(b))->status.platform.arch.runsI386);
  // A whole sealed beacon with the longest machine and kernel names still fits.
  b.name = std::string(32, 'n');
  b.status.platform = {nodeArchFrom(std::string(64, 'm')), std::string(64, 'k')};
  Key key{};
  randomBytes(key);
  auto packet = sealBeacon(key, b);
  CHECK(packet.size() <= kMaxBeaconBytes);
  CHECK(*openBeacon(key, packet) == b);
}

TEST_CASE("a beacon without the platform field (an older node's) still parses", "[beacon]") {
  auto back = decodeBeaconBody(oldBody(sample()));
  REQUIRE(back);
  CHECK_FALSE(back->status.platform.known());
  CHECK(back->name == "pi4");
}

TEST_CASE("a tagged field of a newer node is skipped, a broken one is malformed", "[beacon]") {
  Bytes body = oldBody(sample());
  auto skipped = decodeBeaconBody(withField(body, 200, {1, 2, 3}));
  REQUIRE(skipped);
  CHECK_FALSE(skipped->status.platform.known());
  auto both = decodeBeaconBody(withField(withField(body, 200, {9}), kBeaconFieldPlatform,
                                         platformField("armv7l", 32, 0, "6.1")));
  REQUIRE(both);
  CHECK(both->status.platform.arch.debianName() == "armhf");

  struct Bad {
    const char* what;
    Bytes body;
  };
  Bytes truncated = withField(body, kBeaconFieldPlatform, platformField("aarch64", 64, 0, "6.1"));
  truncated.pop_back();
  std::vector<Bad> bad = {
      {"a field longer than the body", truncated},
      {"a tag without its length",
       [&] {
         Bytes b = body;
         b.push_back(kBeaconFieldPlatform);
         return b;
       }()},
      {"a word size of 48",
       withField(body, kBeaconFieldPlatform, platformField("x", 48, 0, "6.1"))},
      {"an empty machine", withField(body, kBeaconFieldPlatform, platformField("", 64, 0, "6.1"))},
      {"a kernel with a space",
       withField(body, kBeaconFieldPlatform, platformField("aarch64", 64, 0, "6.1 evil"))},
      {"an unknown flag",
       withField(body, kBeaconFieldPlatform, platformField("x86_64", 64, 2, "6"))},
      {"bytes after the platform's own", withField(body, kBeaconFieldPlatform,
                                                   [] {
                                                     Bytes f =
                                                         platformField("aarch64", 64, 0, "6.1");
                                                     f.push_back(0);
                                                     return f;
                                                   }())},
  };
  for (auto& b : bad) {
    INFO(b.what);
    CHECK(decodeBeaconBody(b.body).error() == DropReason::Malformed);
  }
}
