#include <catch2/catch.hpp>

#include "placement.h"

using vesta::JobKind;
using vesta::NodeView;
using vesta::PlacementRequest;
using vesta::PowerMode;

namespace {

NodeView self(double busy) {
  NodeView n;
  n.name = "desk";
  n.self = true;
  n.cores = 8;
  n.cpu_busy = busy;
  n.spare_cores = 0;
  n.mem_available_mb = 8000;
  n.mem_offer_mb = 1024;
  n.rtt_ms = 0;
  return n;
}

NodeView peer(const char* name, double spare, PowerMode power = PowerMode::Grid, double rtt = 1) {
  NodeView n;
  n.name = name;
  n.cores = 4;
  n.spare_cores = spare;
  n.mem_available_mb = 3000;
  n.mem_offer_mb = 1024;
  n.power = power;
  n.rtt_ms = rtt;
  return n;
}

PlacementRequest cpu(uint64_t millions) {
  PlacementRequest r;
  r.iterations = millions * 1'000'000;
  return r;
}

const vesta::PlacementPolicy kPolicy;  // spill 80%, split from 50 M iterations

}  // namespace

TEST_CASE("local first while under the spill threshold", "[placement]") {
  auto plan = vesta::place(cpu(10), {self(0.30), peer("pi4", 3.0)}, kPolicy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes == std::vector<std::string>{"desk"});
  CHECK_THAT(plan.reason, Catch::Contains("desk: local, 30% busy, under spill threshold 80%"));
}

TEST_CASE("a busy node spills to the peer with the most spare capacity", "[placement]") {
  auto plan = vesta::place(cpu(10), {self(0.93), peer("pi4", 3.0), peer("laptop", 1.5)}, kPolicy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes == std::vector<std::string>{"pi4"});
  CHECK_THAT(plan.reason, Catch::Contains("pi4: 3.0 spare cores"));
  CHECK_THAT(plan.reason, Catch::Contains("desk over spill threshold 80% (93%)"));
}

TEST_CASE("ties go to grid power, then to the lower RTT", "[placement]") {
  auto grid = vesta::place(
      cpu(10), {self(0.95), peer("laptop", 2, PowerMode::Solar), peer("pi4", 2)}, kPolicy);
  CHECK(grid.nodes == std::vector<std::string>{"pi4"});
  auto rtt = vesta::place(
      cpu(10),
      {self(0.95), peer("far", 2, PowerMode::Grid, 9), peer("near", 2, PowerMode::Grid, 0.3)},
      kPolicy);
  CHECK(rtt.nodes == std::vector<std::string>{"near"});
}

TEST_CASE("a large job splits over every viable node, this one first", "[placement]") {
  auto plan = vesta::place(cpu(400), {peer("pi4", 3), self(0.1), peer("laptop", 1.5)}, kPolicy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes == std::vector<std::string>{"desk", "pi4", "laptop"});
  CHECK(plan.split());
  auto noSplit = cpu(400);
  noSplit.no_split = true;
  CHECK_FALSE(vesta::place(noSplit, {peer("pi4", 3), self(0.1)}, kPolicy).split());
  CHECK_FALSE(vesta::place(cpu(49), {peer("pi4", 3), self(0.1)}, kPolicy).split());
}

TEST_CASE("gates come before capacity: stale, unlinked, capped, unwilling and dead peers",
          "[placement]") {
  struct Case {
    const char* what;
    void (*spoil)(NodeView&);
    const char* reason;
  };
  Case cases[] = {
      {"stale", [](NodeView& n) { n.age_ms = 5000; }, "pi4's status is stale"},
      {"no link", [](NodeView& n) { n.link_up = false; }, "pi4 has no link"},
      {"capped", [](NodeView& n) { n.capped = true; },
       "pi4 would refuse: this node is over its borrowing cap there"},
      {"battery", [](NodeView& n) { n.willingness = 0; }, "pi4 lends nothing"},
      {"dead", [](NodeView& n) { n.alive = false; }, "pi4 is not alive"},
      {"no spare", [](NodeView& n) { n.spare_cores = 0.2; }, "pi4 has 0.2 spare cores"},
  };
  for (auto& c : cases) {
    CAPTURE(c.what);
    auto p = peer("pi4", 3);
    c.spoil(p);
    // Nothing else can take it, so the busy owner's node runs its own job and says why.
    auto plan = vesta::place(cpu(10), {self(0.95), p}, kPolicy);
    REQUIRE(plan.ok());
    CHECK(plan.nodes == std::vector<std::string>{"desk"});
    CHECK_THAT(plan.reason, Catch::Contains("desk: local, no peer can take it"));
    CHECK_THAT(plan.reason, Catch::Contains(c.reason));
    CHECK_THAT(plan.reason, Catch::Contains("desk over spill threshold"));
  }
}

TEST_CASE("a node that refused or lost the job is not asked again", "[placement]") {
  auto pi = peer("pi4", 3);
  pi.refused = "refused: busy";
  auto plan = vesta::place(cpu(10), {self(0.95), pi, peer("laptop", 1)}, kPolicy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes == std::vector<std::string>{"laptop"});
  CHECK_THAT(plan.reason, Catch::Contains("pi4 refused: busy"));
  auto desk = self(0.1);
  desk.refused = "cannot: stopping";
  PlacementRequest mem;
  mem.kind = JobKind::Mem;
  mem.mem_mb = 100;
  CHECK(vesta::place(mem, {desk, pi}, kPolicy).error ==
        "no node can take it: desk cannot: stopping, pi4 refused: busy");
}

TEST_CASE("a mem job goes only where it fits", "[placement]") {
  PlacementRequest mem;
  mem.kind = JobKind::Mem;
  mem.mem_mb = 2000;
  auto big = peer("big", 1);
  big.mem_offer_mb = 4096;
  auto plan = vesta::place(mem, {self(0.1), peer("pi4", 3), big}, kPolicy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes == std::vector<std::string>{"big"});
  mem.mem_mb = 99999;
  auto none = vesta::place(mem, {self(0.1), peer("pi4", 3), big}, kPolicy);
  CHECK_FALSE(none.ok());
  CHECK_THAT(none.error, Catch::Contains("big: 99999 MiB is more than its mem_offer_mb 4096 MiB"));
  mem.mem_mb = 500;  // fits here: local first, whatever the CPU
  auto local = vesta::place(mem, {self(0.99), big}, kPolicy);
  CHECK(local.nodes == std::vector<std::string>{"desk"});
  CHECK_THAT(local.reason, Catch::StartsWith("desk: local, room for 500 MiB"));
  mem.mem_mb = 3500;  // within big's offer, beyond what it has free
  CHECK_THAT(vesta::place(mem, {self(0.1), big}, kPolicy).error,
             Catch::Contains("big has room for 3000 MiB now, not 3500"));
}

TEST_CASE("--on and --local override the autopilot but not the gates", "[placement]") {
  auto on = cpu(10);
  on.on = "laptop";
  CHECK(vesta::place(on, {self(0.1), peer("pi4", 3), peer("laptop", 1)}, kPolicy).nodes ==
        std::vector<std::string>{"laptop"});
  on.on = "nosuch";
  CHECK_THAT(vesta::place(on, {self(0.1)}, kPolicy).error, Catch::Contains("no node named nosuch"));
  auto capped = peer("pi4", 3);
  capped.capped = true;
  on.on = "pi4";
  CHECK_THAT(vesta::place(on, {self(0.1), capped}, kPolicy).error,
             Catch::Contains("over its borrowing cap there"));
  auto local = cpu(10);
  local.local = true;
  CHECK(vesta::place(local, {self(0.99), peer("pi4", 3)}, kPolicy).nodes ==
        std::vector<std::string>{"desk"});
}

TEST_CASE("exec jobs go only where they would be accepted, local first, queue when full",
          "[placement]") {
  vesta::PlacementPolicy policy;
  PlacementRequest r;
  r.kind = JobKind::Exec;
  r.argv0 = "make";
  auto desk = self(0.1);
  desk.exec = {true, false, {}, 0};
  desk.exec_slots = 2;
  auto pi4 = peer("pi4", 3.0);
  pi4.exec = {true, false, {"make"}, 3};
  pi4.exec_slots = 3;
  auto nas = peer("nas", 3.5);
  nas.exec = {false, false, {}, 2};
  nas.exec_slots = 2;

  auto plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "desk");

  desk.cpu_busy = 0.95;  // over the spill threshold: the willing peer with free slots
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "pi4");
  CHECK(plan.reason.find("nas: exec is off there") != std::string::npos);

  pi4.exec_running = 3;  // pi4 full: back to the busy desk rather than nowhere
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "desk");

  desk.exec_running = 2;  // everyone willing is full: wait
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  CHECK(plan.wait);
  CHECK_FALSE(plan.ok());

  r.argv0 = "ls";  // desk is full, pi4 would refuse ls: wait for desk, do not fail
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  CHECK(plan.wait);

  desk.exec.allow_exec = false;  // now no node would run ls at all
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  CHECK_FALSE(plan.wait);
  REQUIRE_FALSE(plan.error.empty());
  CHECK(plan.error.find("pi4: ls is not in its exec_allowlist") != std::string::npos);

  r.argv0 = "make";
  r.on = "nas";
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  CHECK(plan.error.find("nas: exec is off there") != std::string::npos);
}

TEST_CASE("exec slots follow the offer, the reserve and the battery", "[placement]") {
  vesta::Config c;  // reserve 20%, offer 75%
  CHECK(vesta::execSlots(8, true, 1, c) == 6);
  CHECK(vesta::execSlots(4, false, 1, c) == 3);
  CHECK(vesta::execSlots(1, false, 1, c) == 1);
  CHECK(vesta::execSlots(4, false, 0, c) == 0);
}

TEST_CASE("placement's views: this node from its measurement, a peer from its beacon",
          "[placement]") {
  vesta::Config c;  // reserve 20%, offer 75%, mem_offer_mb 1024
  vesta::MemInfo mem;
  mem.total_kb = 10000 * 1024;
  mem.available_kb = 6000 * 1024;
  vesta::PowerDecision battery{PowerMode::Battery, 0.35, "battery 30%"};
  // Its budget: 0.35 x min(6 offered, 6.4 - 2 owner's cores) (lib/lending_budget computes it).
  auto self = vesta::selfView("desk", 8, 0.25, 0.35 * (8 * 0.8 - 2), mem, battery, {}, c);
  CHECK(self.self);
  CHECK(self.mem_available_mb == 4000);  // MemAvailable less the 2000 MiB reserve
  CHECK(self.willingness == 1);          // battery mode limits lending only
  CHECK(self.spare_cores == Approx(0.35 * (8 * 0.8 - 2)));  // what it lends: its budget
  CHECK(self.exec_slots == 6);

  vesta::Peer p;
  p.name = "pi4";
  p.fingerprint = "fp-pi4";
  p.status.cores = 4;
  p.status.spare_millicores = 1500;
  p.status.willingness_permille = 500;
  vesta::ExecPolicy policy{true, false, {}, 3};
  auto v = vesta::peerView(p, 12.5, 800, false, &policy);
  CHECK(v.link_up);
  CHECK(v.alive);
  CHECK(v.rtt_ms == 12.5);
  CHECK(v.spare_cores == 1.5);
  CHECK(v.exec_slots == 2);  // 3 slots at half willingness, rounded
  auto unlinked = vesta::peerView(p, std::nullopt, 800, true, nullptr);
  CHECK_FALSE(unlinked.link_up);
  CHECK_FALSE(unlinked.alive);  // a peer without a link is never placed on
  CHECK(unlinked.rtt_ms == -1);
  CHECK(unlinked.capped);
  CHECK_FALSE(unlinked.exec.allow_exec);  // no policy announced: exec is off there
  CHECK(unlinked.exec_slots == 0);
}

TEST_CASE("an exec retry passes over the nodes that failed it, until every node has",
          "[placement]") {
  vesta::PlacementPolicy policy;
  PlacementRequest r;
  r.kind = JobKind::Exec;
  r.argv0 = "sh";
  auto desk = self(0.1);
  desk.exec = {true, false, {}, 0};
  desk.exec_slots = 2;
  auto pi4 = peer("pi4", 3.0);
  pi4.exec = {true, false, {}, 0};
  pi4.exec_slots = 1;
  auto nas = peer("nas", 3.5);
  nas.exec = {false, false, {}, 0};  // would not run it at all
  nas.exec_slots = 2;

  r.avoid = {"desk"};  // failed on desk: the idle desk is passed over
  auto plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "pi4");

  pi4.exec_running = 1;  // pi4 is full: wait for it rather than go back to desk
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  CHECK(plan.wait);

  r.avoid = {"desk", "pi4"};  // failed on every node that would run it: anywhere again
  pi4.exec_running = 0;
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "desk");

  r.avoid = {"nas"};  // a node that would not run it anyway changes nothing
  plan = vesta::placeExec(r, {desk, pi4, nas}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "desk");
}
