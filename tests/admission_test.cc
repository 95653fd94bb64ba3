// lib/admission: one decision for placement (on a peer's snapshot) and for the runners (on their
// own measurement), with the code and the text each refusal has always had.
#include <catch2/catch.hpp>

#include "admission.h"

using vesta::AdmissionInput;
using vesta::admit;
using vesta::ExecPolicy;
using vesta::JobKind;
using vesta::RefuseCode;

namespace {

// A measured runner with room: 4 spare cores, 8 GiB available, 1 GiB reserved.
AdmissionInput runner(JobKind kind) {
  AdmissionInput in;
  in.node = "pi4";
  in.kind = kind;
  in.powerReason = "grid";
  in.spareCores = 4;
  in.cpuBusy = 0.1;
  in.memOfferMb = 1024;
  in.memAvailableMb = 8192;
  in.memReserveMb = 1024;
  in.reservePct = 20;
  return in;
}

}  // namespace

TEST_CASE("a runner with room admits every kind", "[admission]") {
  for (JobKind kind : {JobKind::Cpu, JobKind::Mem, JobKind::Exec}) {
    auto in = runner(kind);
    in.memMb = 512;
    CHECK_FALSE(admit(in));
  }
}

TEST_CASE("power, then the cap, then the cores decide a cpu offer on the runner", "[admission]") {
  auto in = runner(JobKind::Cpu);
  in.willingness = 0;
  in.powerReason = "battery 4%, below battery_min_pct 10";
  in.capped = "desk has borrowed 9000 core-seconds";
  in.spareCores = 0;
  auto r = admit(in);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Power);
  CHECK(r->text == "pi4 lends nothing now (battery 4%, below battery_min_pct 10)");

  in.willingness = 1;
  r = admit(in);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Capped);
  CHECK(r->text == "pi4: desk has borrowed 9000 core-seconds");

  in.capped.clear();
  in.spareCores = 0.4;
  in.cpuBusy = 0.93;
  r = admit(in);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Busy);
  CHECK(r->text == "pi4 is busy: 93% CPU, 0.4 spare cores");

  in.spareCores = vesta::kMinSpareCores;  // the threshold itself is enough
  CHECK_FALSE(admit(in));
}

TEST_CASE("a mem offer must fit the offer and leave the owner's reserve", "[admission]") {
  auto in = runner(JobKind::Mem);
  in.spareCores = 0;  // cores do not matter to memory
  in.memMb = 2000;
  auto r = admit(in);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Memory);
  CHECK_THAT(r->text, Catch::StartsWith("pi4: 2000 MiB is more than mem_offer_mb 1024 MiB"));

  in.memOfferMb = 16384;
  in.memMb = 7200;
  r = admit(in);
  REQUIRE(r);
  CHECK(r->text ==
        "pi4: 7200 MiB would eat into the owner's reserve: 8192 MiB available, 1024 "
        "MiB reserved (reserve_pct 20), so at most 7168 MiB fits now");
  in.memMb = 7168;
  CHECK_FALSE(admit(in));
}

TEST_CASE("an exec offer counts the submitter's own commands as not busy", "[admission]") {
  auto in = runner(JobKind::Exec);
  in.spareCores = 0;
  in.cpuBusy = 0.97;
  auto r = admit(in);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Busy);
  CHECK(r->text == "pi4 is busy: 97% CPU");
  in.running = 1;  // the load is our own command's
  CHECK_FALSE(admit(in));

  in.memMb = 4096;
  r = admit(in);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Memory);
  CHECK(r->text == "pi4: 4096 MiB is more than its mem_offer_mb 1024 MiB");
}

TEST_CASE("the owner's own work is never refused for power, the cap or the load", "[admission]") {
  for (JobKind kind : {JobKind::Cpu, JobKind::Exec}) {
    auto in = runner(kind);
    in.own = true;
    in.willingness = 0;
    in.capped = "capped";
    in.spareCores = 0;
    in.cpuBusy = 1;
    CHECK_FALSE(admit(in));
  }
  // Memory is real, though: the owner's mem job still may not eat the reserve.
  auto mem = runner(JobKind::Mem);
  mem.own = true;
  mem.memMb = 8000;
  auto r = admit(mem);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Memory);
}

TEST_CASE("placement's texts say what a submitter can know from a snapshot", "[admission]") {
  auto in = runner(JobKind::Cpu);
  in.advertised = true;
  in.capped = "over its borrowing cap";
  in.willingness = 0;
  auto r = admit(in);
  REQUIRE(r);  // the cap is about this node: a submitter sees it first
  CHECK(r->text == "pi4 would refuse: this node is over its borrowing cap there");
  in.capped.clear();
  r = admit(in);
  REQUIRE(r);
  CHECK(r->text == "pi4 lends nothing (battery below minimum)");

  in.willingness = 1;
  in.spareCores = 0.3;
  r = admit(in);
  REQUIRE(r);
  CHECK(r->text == "pi4 has 0.3 spare cores");

  auto mem = runner(JobKind::Mem);
  mem.advertised = true;
  mem.memAvailableMb = 3000;  // advertised room is already less the reserve
  mem.memOfferMb = 4096;
  mem.memMb = 3500;
  r = admit(mem);
  REQUIRE(r);
  CHECK(r->text == "pi4 has room for 3000 MiB now, not 3500");
}

TEST_CASE("placement judges an exec command by the node's advertised policy", "[admission]") {
  ExecPolicy off;
  ExecPolicy on{true, false, {"make"}, 2};
  auto in = runner(JobKind::Exec);
  in.advertised = true;
  in.argv0 = "make";
  in.policy = &off;
  auto r = admit(in);
  REQUIRE(r);
  CHECK(r->code == RefuseCode::Other);
  CHECK_THAT(r->text, Catch::Contains("allow_exec"));
  in.policy = &on;
  CHECK_FALSE(admit(in));
  in.argv0 = "rm";
  CHECK(admit(in));

  // Asked for by name, the node judges its own load: the snapshot's does not refuse it.
  in.argv0 = "make";
  in.spareCores = 0;
  CHECK(admit(in));
  in.byName = true;
  CHECK_FALSE(admit(in));
}
