#include <catch2/catch.hpp>

#include "exec_proto.h"
#include "hello.h"

namespace {

vesta::Hello sample() {
  vesta::Hello h;
  vesta::randomBytes(h.key);
  vesta::randomBytes(h.signature);
  h.exec = vesta::ExecPolicy{true, false, {"make", "/usr/bin/ffmpeg"}, 3};
  return h;
}

}  // namespace

TEST_CASE("a Hello carries the sender's exec policy, so it is known at link-up", "[hello]") {
  auto h = sample();
  auto bytes = vesta::encodeHello(h);
  auto back = vesta::decodeHello(bytes);
  REQUIRE(back);
  CHECK(*back == h);
  REQUIRE(back->exec);
  CHECK(back->exec->allow_exec);
  CHECK(back->exec->slots == 3);
  // A node with exec off says so too: "off" is then known, not assumed.
  h.exec = vesta::ExecPolicy{};
  auto off = vesta::decodeHello(vesta::encodeHello(h));
  REQUIRE(off);
  REQUIRE(off->exec);
  CHECK_FALSE(off->exec->allow_exec);
}

TEST_CASE("a Hello of an older vestad (version 1 to 4) is refused, not misrouted", "[hello]") {
  auto bytes = vesta::encodeHello(sample());
  CHECK(bytes[96] == 5);
  auto v4 = bytes;
  v4[96] = 4;  // the same layout, but its runners take no batch
  CHECK_THAT(vesta::decodeHello(v4).error(), Catch::Contains("version 4; expected 5"));
  auto v3 = bytes;
  v3[96] = 3;  // the same layout, but its exec offers have no stdin flag
  CHECK_THAT(vesta::decodeHello(v3).error(), Catch::Contains("version 3; expected 5"));
  auto v2 = bytes;
  v2[96] = 2;  // the same layout, but exec work came in the cpu frame types
  CHECK_THAT(vesta::decodeHello(v2).error(), Catch::Contains("version 2; expected 5"));
  bytes.resize(96);  // version 1: the proof alone
  CHECK_THAT(vesta::decodeHello(bytes).error(), Catch::Contains("version 1; expected 5"));
}

TEST_CASE("a malformed Hello is refused with a reason", "[hello]") {
  auto bytes = vesta::encodeHello(sample());
  for (size_t len : {size_t{0}, size_t{31}, size_t{95}, size_t{96}, size_t{97}, bytes.size() - 1}) {
    CAPTURE(len);
    auto r = vesta::decodeHello(std::span(bytes).first(len));
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::StartsWith("hello: "));
  }
  auto trailing = bytes;
  trailing.push_back(0);
  CHECK_FALSE(vesta::decodeHello(trailing));
  auto version = bytes;
  version[96] = 6;
  CHECK_THAT(vesta::decodeHello(version).error(), Catch::Contains("version 6; expected 5"));
  auto flag = bytes;
  flag[97] = 2;  // allow_exec neither 0 nor 1
  CHECK_FALSE(vesta::decodeHello(flag));
}

TEST_CASE("the signed message binds role and handshake", "[hello]") {
  std::array<uint8_t, 32> hash{};
  hash[0] = 1;
  auto i = vesta::helloMessage(true, hash), r = vesta::helloMessage(false, hash);
  CHECK(i != r);
  hash[0] = 2;
  CHECK(vesta::helloMessage(true, hash) != i);
  std::string text(i.begin(), i.begin() + 19);
  CHECK(text == "vesta link hello v1");
}
