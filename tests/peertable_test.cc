#include <catch2/catch.hpp>

#include "peertable.h"

using vesta::PeerEvent;
using vesta::PeerState;

namespace {

struct Node {
  vesta::Beacon beacon;
  Node(const char* name) {
    vesta::randomBytes(beacon.key);
    beacon.name = name;
    beacon.port = 7777;
    beacon.incarnation = 1;
    beacon.status.cores = 2;
  }
  // The next beacon of this node.
  vesta::Beacon next() {
    ++beacon.sequence;
    return beacon;
  }
  std::string fp() const { return vesta::fingerprintOf(beacon.key); }
};

PeerEvent::Kind only(const std::vector<PeerEvent>& events) {
  REQUIRE(events.size() == 1);
  return events[0].kind;
}

const auto kTimings = vesta::PeerTimings::forInterval(1000);

}  // namespace

TEST_CASE("timings for a 1 s beacon: suspect at 1.6 s, dead at 2.6 s", "[peertable]") {
  CHECK(kTimings.suspect_after == 1600);
  CHECK(kTimings.dead_after == 2600);
}

TEST_CASE("a peer joins, goes suspect, then dead, and comes back with a fresh beacon",
          "[peertable]") {
  vesta::PeerTable t(kTimings);
  Node pi("pi4");
  CHECK(only(*t.onBeacon(pi.next(), "10.0.0.2", 0)) == PeerEvent::Kind::Joined);
  CHECK(t.tick(1500).empty());  // one beacon a little late: no alarm
  CHECK(t.onBeacon(pi.next(), "10.0.0.2", 1100)->empty());
  auto e = t.tick(1100 + 1600);
  CHECK(only(e) == PeerEvent::Kind::StateChanged);
  CHECK(e[0].state == PeerState::Suspect);
  e = t.tick(1100 + 2600);
  CHECK(e[0].state == PeerState::Dead);
  CHECK(t.find(pi.fp())->state == PeerState::Dead);
  CHECK(t.tick(1100 + 5000).empty());  // dead stays dead, no repeated events
  e = *t.onBeacon(pi.next(), "10.0.0.2", 9000);
  CHECK(only(e) == PeerEvent::Kind::StateChanged);
  CHECK(e[0].state == PeerState::Alive);
}

TEST_CASE("a replayed beacon neither revives a dead peer nor rolls its status back",
          "[peertable]") {
  vesta::PeerTable t(kTimings);
  Node pi("pi4");
  auto old = pi.next();
  REQUIRE(t.onBeacon(old, "10.0.0.2", 0));
  auto newer = pi.next();
  newer.status.cpu_permille = 900;
  REQUIRE(t.onBeacon(newer, "10.0.0.2", 100));
  CHECK(t.onBeacon(old, "10.0.0.2", 200).error() == vesta::DropReason::Replay);
  CHECK(t.onBeacon(newer, "10.0.0.2", 200).error() == vesta::DropReason::Replay);
  CHECK(t.find(pi.fp())->status.cpu_permille == 900);
  t.tick(100 + 2600);
  CHECK(t.onBeacon(newer, "10.0.0.2", 5000).error() == vesta::DropReason::Replay);
  CHECK(t.find(pi.fp())->state == PeerState::Dead);
}

TEST_CASE("a restarted node (new incarnation) replaces its old entry", "[peertable]") {
  vesta::PeerTable t(kTimings);
  Node pi("pi4");
  for (int i = 0; i < 5; ++i) REQUIRE(t.onBeacon(pi.next(), "10.0.0.2", 0));
  pi.beacon.incarnation = 2;
  pi.beacon.sequence = 0;  // sequence restarts with the incarnation
  CHECK(only(*t.onBeacon(pi.next(), "10.0.0.2", 10)) == PeerEvent::Kind::Restarted);
  CHECK(t.peers().size() == 1);
  CHECK(t.find(pi.fp())->incarnation == 2);
  pi.beacon.incarnation = 1;  // the old incarnation's beacons are stale now
  pi.beacon.sequence = 100;
  CHECK(t.onBeacon(pi.beacon, "10.0.0.2", 20).error() == vesta::DropReason::Replay);
}

TEST_CASE("a peer that changes address is followed", "[peertable]") {
  vesta::PeerTable t(kTimings);
  Node laptop("laptop");
  REQUIRE(t.onBeacon(laptop.next(), "192.0.2.10", 0));
  CHECK(only(*t.onBeacon(laptop.next(), "192.0.2.77", 10)) == PeerEvent::Kind::Moved);
  CHECK(t.find(laptop.fp())->address == "192.0.2.77");
}

TEST_CASE("a node that leaves disappears at once, and its old beacons cannot bring it back",
          "[peertable]") {
  vesta::PeerTable t(kTimings);
  Node pi("pi4"), desk("desk");
  auto before = pi.next();
  REQUIRE(t.onBeacon(before, "10.0.0.2", 0));
  REQUIRE(t.onBeacon(desk.next(), "10.0.0.3", 0));
  auto bye = pi.next();
  bye.leaving = true;
  CHECK(only(*t.onBeacon(bye, "10.0.0.2", 50)) == PeerEvent::Kind::Left);
  CHECK(t.find(pi.fp()) == nullptr);
  CHECK(t.peers().size() == 1);
  CHECK(t.onBeacon(before, "10.0.0.2", 60).error() == vesta::DropReason::Replay);
  CHECK(t.find(pi.fp()) == nullptr);
}

TEST_CASE("long-dead peers are forgotten", "[peertable]") {
  vesta::PeerTable t(kTimings);
  Node pi("pi4");
  REQUIRE(t.onBeacon(pi.next(), "10.0.0.2", 0));
  t.tick(3000);
  auto e = t.tick(kTimings.forget_after);
  CHECK(only(e) == PeerEvent::Kind::Forgotten);
  CHECK(t.peers().empty());
}

TEST_CASE("nextChange says when the next state change is due", "[peertable]") {
  vesta::PeerTable t(kTimings);
  CHECK_FALSE(t.nextChange());
  Node pi("pi4"), desk("desk");
  REQUIRE(t.onBeacon(pi.next(), "10.0.0.2", 100));
  REQUIRE(t.onBeacon(desk.next(), "10.0.0.3", 500));
  CHECK(t.nextChange() == 100 + kTimings.suspect_after);
  t.tick(100 + kTimings.suspect_after);
  CHECK(t.nextChange() == 500 + kTimings.suspect_after);  // desk turns suspect before pi dies
  t.tick(500 + kTimings.suspect_after);
  CHECK(t.nextChange() == 100 + kTimings.dead_after);
}

TEST_CASE("beacons alone do not make a peer alive: without its link it is unlinked",
          "[peertable]") {
  using vesta::PeerState;
  CHECK(std::string(vesta::shownPeerState(PeerState::Alive, true)) == "alive");
  CHECK(std::string(vesta::shownPeerState(PeerState::Alive, false)) == "unlinked");
  CHECK(std::string(vesta::shownPeerState(PeerState::Suspect, true)) == "suspect");
  CHECK(std::string(vesta::shownPeerState(PeerState::Dead, false)) == "dead");
}
