// Placement by architecture: a shipped ELF program only where it runs, --arch, the refusal
// naming both sides; and the 32-bit memory cap.
#include <catch2/catch.hpp>

#include "address_space.h"
#include "arch_placement.h"
#include "placement.h"

using namespace vesta;

namespace {

ProgramArch elf(uint16_t machine, unsigned bits) {
  ProgramArch p;
  p.machine = machine;
  p.bits = bits;
  return p;
}
const ProgramArch kX86_64 = elf(62, 64), kAarch64 = elf(183, 64), kI386 = elf(3, 32);

NodePlatform platform(const std::string& machine, bool i386 = false) {
  return {nodeArchFrom(machine, i386), "6.1.0"};
}

NodeView node(const std::string& name, const std::string& machine, bool self = false) {
  NodeView v;
  v.name = name;
  v.fingerprint = self ? "" : "fp-" + name;
  v.self = self;
  v.cores = 4;
  v.spare_cores = 3;
  v.mem_available_mb = 4000;
  v.mem_offer_mb = 1024;
  v.exec = {true, true, {}, 4};
  v.exec_slots = 4;
  v.platform = platform(machine);
  return v;
}

PlacementRequest shipped(const ProgramArch& program, const std::string& name = "./piwork") {
  PlacementRequest r;
  r.kind = JobKind::Exec;
  r.argv0 = name;
  r.shipped = true;
  r.arch = {program, name, {}};
  return r;
}

}  // namespace

TEST_CASE("a shipped program is refused where it cannot run, naming both sides", "[arch]") {
  ArchRequest r{kX86_64, "./piwork", {}};
  CHECK(archWhyNot("pi4", platform("aarch64"), r) ==
        "pi4 is aarch64; ./piwork is an x86-64 program");
  CHECK(archWhyNot("desk", platform("x86_64"), r).empty());
  // A node whose beacons predate the platform field runs no ELF program of ours.
  CHECK(archWhyNot("old", NodePlatform{}, r) ==
        "old is of an unknown architecture; ./piwork is an x86-64 program");
  // i386 only where the node says it has i386 support.
  r.program = kI386;
  CHECK(archWhyNot("desk", platform("x86_64"), r) == "desk is x86_64; ./piwork is an i386 program");
  CHECK(archWhyNot("desk", platform("x86_64", true), r).empty());
  // A script goes anywhere (its interpreter is the exec policy's business there).
  ProgramArch script;
  script.kind = ProgramArch::Kind::Script;
  script.interpreter = "/bin/sh";
  r.program = script;
  CHECK(archWhyNot("pi4", platform("aarch64"), r).empty());
  CHECK(archWhyNot("old", NodePlatform{}, r).empty());
}

TEST_CASE("--arch keeps a job to the named machines, by uname or Debian name", "[arch]") {
  ArchRequest r{std::nullopt, "make", {"aarch64"}};
  CHECK(archWhyNot("pi4", platform("aarch64"), r).empty());
  CHECK(archWhyNot("desk", platform("x86_64"), r) == "desk is x86_64, not one of --arch aarch64");
  r.archs = {"arm64", "armhf"};
  CHECK(archWhyNot("pi4", platform("aarch64"), r).empty());
  CHECK(archWhyNot("pi2", platform("armv7l"), r).empty());
  CHECK(archWhyNot("pi3", platform("armv8l"), r).empty());  // armhf user space on a 64-bit core
  CHECK_FALSE(archWhyNot("desk", platform("x86_64"), r).empty());
  CHECK(archWhyNot("old", NodePlatform{}, r) ==
        "old is of an unknown architecture, not one of --arch arm64,armhf");

  CHECK(*parseArchList("x86_64,aarch64") == std::vector<std::string>{"x86_64", "aarch64"});
  CHECK(*parseArchList("arm64") == std::vector<std::string>{"arm64"});
  auto bad = parseArchList("x86_64,arm65");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error(), Catch::StartsWith("--arch: \"arm65\" in \"x86_64,arm65\" is not an "
                                            "architecture; expected uname -m or Debian names"));
  CHECK_FALSE(parseArchList(""));
  CHECK_FALSE(parseArchList("x86_64,"));
}

TEST_CASE("placeExec puts a shipped ELF program only on a node that runs it", "[arch]") {
  PlacementPolicy policy;
  auto desk = node("desk", "x86_64", true);
  auto pi4 = node("pi4", "aarch64");
  auto plan = placeExec(shipped(kAarch64), {desk, pi4}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "pi4");  // desk is idle and first otherwise, but cannot run it
  CHECK_THAT(plan.reason, Catch::Contains("desk is x86_64; ./piwork is an AArch64 program"));

  plan = placeExec(shipped(kX86_64), {desk, pi4}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "desk");

  auto r = shipped(kAarch64);
  r.on = "desk";
  plan = placeExec(r, {desk, pi4}, policy);
  CHECK(plan.error == "cannot run there: desk is x86_64; ./piwork is an AArch64 program");

  r = shipped(kX86_64);
  r.arch.archs = {"aarch64"};
  plan = placeExec(r, {desk, pi4}, policy);
  CHECK(plan.error ==
        "no node can run it: desk is x86_64, not one of --arch aarch64, pi4 is aarch64; ./piwork "
        "is an x86-64 program");
}

TEST_CASE("a 32-bit node offers no more memory than one process can map", "[arch]") {
  CHECK(addressableMb(32) == 2560);
  CHECK(addressableMb(64) == 0);
  CHECK(cappedMemOffer(6000, 32) == 2560);
  CHECK(cappedMemOffer(1024, 32) == 1024);
  CHECK(cappedMemOffer(600000, 64) == 600000);
}
