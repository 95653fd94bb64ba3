// The GPU rules beyond the sysfs parser (gpus_test.cc): the beacon's optional GPU section,
// placement of --gpu jobs, the exec offer's GPU count and GPU-seconds in the ledger.
#include <catch2/catch.hpp>

#include "beacon.h"
#include "bytes.h"
#include "exec_proto.h"
#include "gpu_advert.h"
#include "ledger.h"
#include "placement.h"

using vesta::GpuAdvert;
using vesta::GpuWithheld;
using vesta::NodeView;

namespace {

vesta::Beacon beacon() {
  vesta::Beacon b;
  vesta::randomBytes(b.key);
  b.incarnation = 1;
  b.sequence = 2;
  b.sent_ms = 3;
  b.port = 7777;
  b.name = "desk";
  b.status.cores = 8;
  b.status.cpu_permille = 100;
  b.status.mem_available_mb = 6000;
  b.status.mem_offer_mb = 1024;
  b.status.spare_millicores = 5000;
  b.status.gpus = 1;
  return b;
}

GpuAdvert oneCard(bool lends, uint8_t free, GpuWithheld why = GpuWithheld::No) {
  GpuAdvert a;
  a.lends = lends;
  a.free = free;
  a.why = why;
  a.cards = {{"NVIDIA", "NVIDIA GeForce RTX 3080", "nvidia", 10240, 12, free == 0 && lends}};
  return a;
}

NodeView node(const char* name, bool self, unsigned gpus, GpuAdvert advert) {
  NodeView n;
  n.name = name;
  n.self = self;
  n.cores = 8;
  n.spare_cores = 4;
  n.mem_available_mb = 4000;
  n.mem_offer_mb = 1024;
  n.rtt_ms = self ? 0 : 1;
  n.exec = {true, false, {}, 4};
  n.exec_slots = 4;
  n.gpus = gpus;
  n.gpu = std::move(advert);
  return n;
}

vesta::PlacementRequest gpuJob(unsigned n) {
  vesta::PlacementRequest r;
  r.kind = vesta::JobKind::Exec;
  r.argv0 = "sh";
  r.gpus = n;
  return r;
}

}  // namespace

TEST_CASE("the beacon's GPU section: round trip, absent on old beacons, strict", "[gpus]") {
  vesta::Key key{};
  vesta::randomBytes(key);
  auto b = beacon();
  vesta::Bytes plain = vesta::encodeBeaconBody(b);  // no GPU advert: the version 2 body exactly
  auto old = vesta::decodeBeaconBody(plain);
  REQUIRE(old);
  CHECK(old->status.gpu == GpuAdvert{});

  b.status.gpu = oneCard(true, 1);
  b.status.gpu.cards.push_back({"AMD", std::string(32, 'm'), "amdgpu", 16368, 37, false});
  auto packet = vesta::sealBeacon(key, b);
  CHECK(packet.size() <= vesta::kMaxBeaconBytes);
  auto opened = vesta::openBeacon(key, packet);
  REQUIRE(opened);
  CHECK(opened->status.gpu == b.status.gpu);

  // Four cards of the longest names still fit a beacon with the longest node name.
  b.name = std::string(32, 'n');
  b.status.gpu.cards.assign(
      4, {std::string(12, 'v'), std::string(32, 'm'), std::string(12, 'd'), UINT32_MAX, 100, true});
  CHECK(vesta::sealBeacon(key, b).size() <= vesta::kMaxBeaconBytes);

  // A section of a kind this build does not know is skipped: a newer sender still parses.
  vesta::Bytes newer = plain;
  for (uint8_t byte : {uint8_t{99}, uint8_t{2}, uint8_t{0}, uint8_t{7}, uint8_t{7}})
    newer.push_back(byte);
  REQUIRE(vesta::decodeBeaconBody(newer));

  // A GPU section that lies is a malformed beacon: free GPUs on a node that lends none, a
  // section longer than the packet, a busy share over 100%.
  vesta::ByteWriter w;
  GpuAdvert lie = oneCard(false, 1);
  vesta::encodeGpuAdvert(w, lie);
  CHECK_FALSE(vesta::decodeGpuAdvert(w.data()));
  vesta::Bytes cut = plain;
  for (uint8_t byte : {uint8_t{1}, uint8_t{50}, uint8_t{0}, uint8_t{1}}) cut.push_back(byte);
  CHECK(vesta::decodeBeaconBody(cut).error() == vesta::DropReason::Malformed);
  vesta::ByteWriter hot;
  GpuAdvert over = oneCard(true, 1);
  over.cards[0].busy_pct = 101;
  vesta::encodeGpuAdvert(hot, over);
  CHECK_FALSE(vesta::decodeGpuAdvert(hot.data()));
}

TEST_CASE("a node's advert: lent and free, or withheld with its reason", "[gpus]") {
  vesta::Gpu g;
  g.vendor = "AMD";
  g.model = "AMD Radeon RX 6800 XT";
  g.driver = "amdgpu";
  g.memory_mb = 16368;
  g.busy_pct = 37;
  vesta::GpuSlots slots;
  slots.setCount(1);
  auto lent =
      vesta::makeGpuAdvert({g}, vesta::gpuOffer(1, true, vesta::UserPresence::Away, 0, 1), slots);
  CHECK(lent.lends);
  CHECK(lent.free == 1);
  CHECK(lent.cards.at(0).busy_pct == 37);
  slots.take("x:1", "job 1", 1);
  auto held =
      vesta::makeGpuAdvert({g}, vesta::gpuOffer(1, true, vesta::UserPresence::Away, 0, 1), slots);
  CHECK(held.free == 0);
  CHECK(held.cards.at(0).held);
  auto atDesk = vesta::makeGpuAdvert(
      {g}, vesta::gpuOffer(1, true, vesta::UserPresence::Active, 0, 1), vesta::GpuSlots());
  CHECK_FALSE(atDesk.lends);
  CHECK(atDesk.why == GpuWithheld::InUse);
  CHECK(vesta::gpuRefusal("desk", atDesk, 1, 1, nullptr) ==
        "desk lends no GPU while its user is active (in_use_offer_pct is 0)");
}

TEST_CASE("--gpu goes only to a node lending enough free GPUs, and waits for a busy one",
          "[gpus]") {
  vesta::PlacementPolicy policy;
  auto laptop = node("laptop", true, 0, {});
  auto desk = node("desk", false, 1, oneCard(true, 1));
  auto pi4 = node("pi4", false, 1, oneCard(false, 0, GpuWithheld::Off));
  pi4.spare_cores = 9;  // the most spare cores, but it lends no GPU

  auto plan = vesta::placeExec(gpuJob(1), {laptop, pi4, desk}, policy);
  REQUIRE(plan.ok());
  CHECK(plan.nodes[0] == "desk");
  CHECK(plan.reason.find("pi4 lends no GPU (gpu_offer is off)") != std::string::npos);
  CHECK(plan.reason.find("laptop has no GPU") != std::string::npos);

  // Without --gpu the same nodes take it as before: local first.
  CHECK(vesta::placeExec(gpuJob(0), {laptop, pi4, desk}, policy).nodes[0] == "laptop");

  // Our own job holds desk's GPU though its beacon does not say so yet: wait, naming it.
  auto mine = desk;
  mine.gpu_running = 1;
  plan = vesta::placeExec(gpuJob(1), {laptop, pi4, mine}, policy);
  CHECK(plan.wait);
  CHECK(plan.reason.find("desk") != std::string::npos);

  // Someone else's job holds it (the beacon says 0 free): wait, "desk's 1 GPU is busy".
  auto busy = node("desk", false, 1, oneCard(true, 0));
  plan = vesta::placeExec(gpuJob(1), {laptop, pi4, busy}, policy);
  CHECK(plan.wait);
  CHECK(plan.reason.find("desk's 1 GPU is busy") != std::string::npos);

  // More GPUs than any node lends: fails at once, each node's reason named.
  plan = vesta::placeExec(gpuJob(2), {laptop, pi4, desk}, policy);
  CHECK_FALSE(plan.wait);
  CHECK(plan.error.find("desk has 1 GPU, not 2") != std::string::npos);
  CHECK(plan.error.find("pi4 lends no GPU (gpu_offer is off)") != std::string::npos);

  // Asked by name, a node that lends none is refused, not waited for.
  auto onPi = gpuJob(1);
  onPi.on = "pi4";
  plan = vesta::placeExec(onPi, {laptop, pi4, desk}, policy);
  CHECK(plan.error == "cannot run there: pi4 lends no GPU (gpu_offer is off)");

  // This node's own GPU, when it lends it, is taken first (local first).
  auto deskSelf = node("desk", true, 1, oneCard(true, 1));
  CHECK(vesta::placeExec(gpuJob(1), {deskSelf, pi4}, policy).nodes[0] == "desk");
}

TEST_CASE("an exec offer carries its GPU count as an optional last byte", "[gpus]") {
  vesta::ExecOfferMsg m;
  m.job = 4;
  m.argv = {"sh", "-c", "echo $CUDA_VISIBLE_DEVICES"};
  vesta::Bytes plain = vesta::encode(m);
  auto back = vesta::decodeExecOffer(plain);
  REQUIRE(back);
  CHECK(back->gpus == 0);
  m.gpus = 2;
  vesta::Bytes withGpus = vesta::encode(m);
  CHECK(withGpus.size() == plain.size() + 1);
  CHECK(vesta::decodeExecOffer(withGpus)->gpus == 2);
  withGpus.back() = 0;  // "0 GPUs" is never sent: the byte is left out instead
  CHECK_FALSE(vesta::decodeExecOffer(withGpus));
  withGpus.back() = 200;
  CHECK_FALSE(vesta::decodeExecOffer(withGpus));
}

TEST_CASE("the ledger counts GPU-seconds beside core-seconds and loads files without them",
          "[gpus]") {
  vesta::Ledger l;
  REQUIRE(l.recordLent("3f2a-91c0-7b1e-22d4", "pi4", 10, 0, 100));
  REQUIRE(l.recordGpu("3f2a-91c0-7b1e-22d4", "pi4", 30.5, true, 101));
  REQUIRE(l.recordGpu("3f2a-91c0-7b1e-22d4", "pi4", 2, false, 102));
  CHECK_FALSE(l.recordGpu("3f2a-91c0-7b1e-22d4", "pi4", -1, true, 103));
  const auto* e = l.find("3f2a-91c0-7b1e-22d4");
  REQUIRE(e);
  CHECK(e->lent_gpu_s == Approx(30.5));
  CHECK(e->borrowed_gpu_s == Approx(2));
  CHECK(e->lent_core_s == Approx(10));  // GPU time is not CPU time
  auto again = vesta::Ledger::fromJson(l.toJson(), "x");
  REQUIRE(again);
  CHECK(again->find("3f2a-91c0-7b1e-22d4")->lent_gpu_s == Approx(30.5));

  // A file from before GPU-seconds loads, with none.
  auto old = vesta::Ledger::fromJson(
      R"({"format":"vesta-ledger-2","peers":[{"fingerprint":"3f2a-91c0-7b1e-22d4","name":"pi4","lent_core_ms":1000,"borrowed_core_ms":0,"lent_mib_ms":0,"borrowed_mib_ms":0,"updated_unix":5}]})",
      "old");
  REQUIRE(old);
  CHECK(old->find("3f2a-91c0-7b1e-22d4")->lent_gpu_s == 0);
  auto bad = vesta::Ledger::fromJson(
      R"({"format":"vesta-ledger-2","peers":[{"fingerprint":"3f2a-91c0-7b1e-22d4","name":"pi4","lent_core_ms":1000,"borrowed_core_ms":0,"lent_mib_ms":0,"borrowed_mib_ms":0,"lent_gpu_ms":-3,"updated_unix":5}]})",
      "bad");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("lent_gpu_ms") != std::string::npos);
}
