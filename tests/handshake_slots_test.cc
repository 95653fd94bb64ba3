#include <catch2/catch.hpp>

#include "handshake_slots.h"

using vesta::HandshakeSlots;

namespace {
constexpr uint32_t kFlooder = 0x0a000063;  // 10.0.0.99
constexpr uint32_t kMember = 0x0a000002;   // 10.0.0.2
HandshakeSlots::Limits small() {
  return {4, 1000, 5000};
}
}  // namespace

TEST_CASE("a full set of slots evicts rather than refuses, the oldest silent first",
          "[handshake_slots]") {
  HandshakeSlots s(small());
  CHECK_FALSE(s.victim());
  for (uint64_t id = 1; id <= 4; ++id) s.add(id, kFlooder, 100 + id);
  REQUIRE(s.full());
  CHECK(s.victim() == 1u);
  s.heard(1);  // it spoke: the silent ones go first
  CHECK(s.victim() == 2u);
  s.remove(2);
  CHECK_FALSE(s.full());
  s.add(5, kFlooder, 200);
  CHECK(s.victim() == 3u);
}

TEST_CASE("a flood from one address evicts only its own connections", "[handshake_slots]") {
  HandshakeSlots s(small());
  s.add(1, kMember, 0);  // the member is the oldest and silent so far
  for (uint64_t id = 2; id <= 4; ++id) s.add(id, kFlooder, id);
  // Hundreds more arrive from the flooder; each evicts one of the flooder's, never the member.
  uint64_t next = 5;
  for (int round = 0; round < 300; ++round) {
    auto v = s.victim();
    REQUIRE(v);
    REQUIRE(*v != 1u);
    s.remove(*v);
    s.add(next++, kFlooder, 10 + static_cast<uint64_t>(round));
  }
  CHECK(s.size() == 4);
}

TEST_CASE("a member among a flood from its own address still gets its chance",
          "[handshake_slots]") {
  // On one address (loopback, or a NAT) fairness by address cannot help: the member's connection
  // survives as long as it takes `slots` newer ones to arrive, and one that spoke outlives the
  // silent ones.
  HandshakeSlots s(small());
  s.add(1, kFlooder, 0);  // the member
  s.heard(1);
  for (uint64_t id = 2; id <= 4; ++id) s.add(id, kFlooder, id);
  for (uint64_t next = 5; next < 100; ++next) {
    auto v = s.victim();
    REQUIRE(*v != 1u);
    s.remove(*v);
    s.add(next, kFlooder, next);
  }
}

TEST_CASE("silent connections expire early, every handshake at its limit", "[handshake_slots]") {
  HandshakeSlots s(small());
  s.add(1, kMember, 0);
  s.add(2, kFlooder, 0);
  s.heard(1);
  CHECK(s.expired(1000).empty());
  CHECK(s.expired(1001) == std::vector<uint64_t>{2});
  CHECK(s.expired(5001) == std::vector<uint64_t>{1, 2});
  s.remove(1);
  s.remove(2);
  CHECK(s.expired(100000).empty());
  CHECK(s.size() == 0);
  s.add(3, kMember, 500);
  CHECK(s.expired(0).empty());  // a clock that reads earlier than the arrival: not expired
}
