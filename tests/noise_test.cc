#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "hex.h"
#include "noise.h"
#include "test_util.h"

using Role = vesta::NoiseHandshake::Role;

namespace {

template <size_t N>
std::array<uint8_t, N> arrayOf(const char* hex) {
  auto bytes = *vesta::fromHex(hex);
  std::array<uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::span<const uint8_t> text(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

vesta::Key randomKey() {
  vesta::Key k{};
  vesta::randomBytes(k);
  return k;
}

}  // namespace

TEST_CASE("the handshake matches an independent implementation byte for byte", "[noise]") {
  rapidjson::Document d;
  d.Parse(readText(dataPath("noise-kat.json")).c_str());
  REQUIRE(d.IsObject());
  auto psk = arrayOf<32>(d["psk"].GetString());
  std::string prologue = d["prologue"].GetString();
  auto ei = vesta::X25519KeyPair::fromPrivate(arrayOf<32>(d["initiator_ephemeral"].GetString()));
  auto er = vesta::X25519KeyPair::fromPrivate(arrayOf<32>(d["responder_ephemeral"].GetString()));
  vesta::NoiseHandshake init(Role::Initiator, psk, text(prologue), ei);
  vesta::NoiseHandshake resp(Role::Responder, psk, text(prologue), er);

  auto m1 = init.writeMessage(*vesta::fromHex(d["payload1"].GetString()));
  REQUIRE(m1);
  CHECK(vesta::toHex(*m1) == d["message1"].GetString());
  auto p1 = resp.readMessage(*m1);
  REQUIRE(p1);
  CHECK(vesta::toHex(*p1) == d["payload1"].GetString());
  auto m2 = resp.writeMessage(*vesta::fromHex(d["payload2"].GetString()));
  REQUIRE(m2);
  CHECK(vesta::toHex(*m2) == d["message2"].GetString());
  auto p2 = init.readMessage(*m2);
  REQUIRE(p2);
  CHECK(vesta::toHex(*p2) == d["payload2"].GetString());

  REQUIRE(init.complete());
  REQUIRE(resp.complete());
  auto ki = init.split(), kr = resp.split();
  CHECK(vesta::toHex(ki.send) == d["initiator_to_responder"].GetString());
  CHECK(vesta::toHex(ki.recv) == d["responder_to_initiator"].GetString());
  CHECK(kr.send == ki.recv);
  CHECK(kr.recv == ki.send);
  CHECK(vesta::toHex(ki.hash) == d["handshake_hash"].GetString());
  CHECK(kr.hash == ki.hash);
}

TEST_CASE("fresh ephemerals give every connection its own keys", "[noise]") {
  auto psk = randomKey();
  auto run = [&] {
    vesta::NoiseHandshake i(Role::Initiator, psk, {}), r(Role::Responder, psk, {});
    REQUIRE(r.readMessage(*i.writeMessage({})));
    REQUIRE(i.readMessage(*r.writeMessage({})));
    return i.split();
  };
  auto a = run(), b = run();
  CHECK(a.send != b.send);
  CHECK(a.hash != b.hash);
}

TEST_CASE("a responder with another PSK refuses the first message", "[noise]") {
  vesta::NoiseHandshake i(Role::Initiator, randomKey(), {}), r(Role::Responder, randomKey(), {});
  auto m1 = i.writeMessage({});
  REQUIRE(m1);
  auto p = r.readMessage(*m1);
  REQUIRE_FALSE(p);
  CHECK_THAT(p.error(), Catch::Contains("authentication failed"));
}

TEST_CASE("altered, truncated or out-of-turn messages fail", "[noise]") {
  auto psk = randomKey();
  vesta::NoiseHandshake i(Role::Initiator, psk, text("v1")), r(Role::Responder, psk, text("v1"));
  auto m1 = *i.writeMessage(text("x"));
  for (size_t at : {size_t{0}, size_t{31}, size_t{32}, m1.size() - 1}) {
    vesta::NoiseHandshake fresh(Role::Responder, psk, text("v1"));
    auto bad = m1;
    bad[at] ^= 1;
    CHECK_FALSE(fresh.readMessage(bad));
  }
  vesta::NoiseHandshake otherPrologue(Role::Responder, psk, text("v2"));
  CHECK_FALSE(otherPrologue.readMessage(m1));
  vesta::NoiseHandshake shortRead(Role::Responder, psk, text("v1"));
  CHECK_FALSE(shortRead.readMessage(std::span(m1).first(40)));
  CHECK_FALSE(r.writeMessage({}));  // the responder writes only after reading
  REQUIRE(r.readMessage(m1));
  CHECK_FALSE(r.readMessage(m1));  // and reads message 1 only once
}

TEST_CASE("a low-order ephemeral key is refused", "[noise]") {
  std::array<uint8_t, 32> zero{};
  CHECK_FALSE(vesta::x25519(vesta::X25519KeyPair::generate().priv, zero));
}
