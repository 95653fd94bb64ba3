// The lender with a real loop and executor; its coordinators are played by the test, which sends
// the frames a coordinator would and reads what the lender answers. The node's measurement, its
// memory and the ledger's gate are fixtures the test sets.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <vector>

#include "lender.h"
#include "proto.h"
#include "sent_frames.h"

using namespace vesta;

namespace {

const char* kKatSeed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct Fixture {
  uv_loop_t loop;
  Config config;
  std::unique_ptr<Executor> executor;
  std::unique_ptr<Lender> lender;
  std::vector<Sent> sent;
  NodeStatus status;
  MemInfo mem;
  std::string capped;  // non-empty: the ledger's gate says no, with this text
  std::map<std::string, double> lentCoreS;
  int jobsEnded = 0;
  uint64_t clockMs = 1000;

  Fixture() {
    uv_loop_init(&loop);
    config.name = "desk";
    status.cores = 4;
    status.cpu = 0.1;
    status.budget.cores = 2.8;  // min(3 offered, 3.2 - 0.4 busy): what admission reads
    mem.total_kb = 8 << 20;
    mem.available_kb = 6 << 20;
    executor = std::make_unique<Executor>(&loop, 2, 0);
    Lender::Hooks hooks{[this](const std::string& fp, const Frame& f) {
                          sent.push_back({fp, f});
                          return true;
                        },
                        [](const std::string& fp) { return "name-of-" + fp; },
                        [this]() -> const NodeStatus& { return status; },
                        [this] { return mem; },
                        [this](const std::string&, std::string* why) {
                          if (capped.empty()) return true;
                          *why = capped;
                          return false;
                        },
                        [this](const std::string& fp, const std::string&, double core, double,
                               bool) { lentCoreS[fp] += core; },
                        [this] { ++jobsEnded; },
                        [this] { return clockMs; }};
    lender = std::make_unique<Lender>(&loop, config, *executor, hooks);
  }
  void offer(const std::string& fp, const OfferMsg& m) {
    lender->onFrame(fp, {FrameType::Offer, encode(m)});
  }
  OfferMsg cpuOffer(uint64_t job) {
    OfferMsg m;
    m.job = job;
    m.kind = JobKind::Cpu;
    m.seed = *parseSeed(kKatSeed);
    m.iterations = 1'000'000;
    return m;
  }
  OfferMsg memOffer(uint64_t job, uint64_t mb, uint64_t holdMs) {
    OfferMsg m;
    m.job = job;
    m.kind = JobKind::Mem;
    m.mem_mb = mb;
    m.hold_ms = holdMs;
    return m;
  }
  bool has(FrameType type) const { return hasFrame(sent, type); }
  std::vector<Sent> take(FrameType type) { return takeFrames(sent, type); }
  RefuseMsg onlyRefusal() {
    auto refusals = take(FrameType::Refuse);
    REQUIRE(refusals.size() == 1);
    CHECK(take(FrameType::Accept).empty());
    return *decodeRefuse(refusals[0].frame.payload);
  }
  template <typename Pred>
  void runUntil(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop, UV_RUN_NOWAIT);
    REQUIRE(done());
  }
  ~Fixture() {
    lender.reset();
    executor.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
};

}  // namespace

TEST_CASE("an accepted cpu offer runs its chunks and reports usage before each result",
          "[lender]") {
  Fixture f;
  f.offer("fp-a", f.cpuOffer(7));
  auto accepts = f.take(FrameType::Accept);
  REQUIRE(accepts.size() == 1);
  CHECK(accepts[0].to == "fp-a");
  CHECK(*decodeAccept(accepts[0].frame.payload) == AcceptMsg{7, 2});
  CHECK(f.lender->active() == 1);

  f.lender->onFrame("fp-a", {FrameType::Chunk, encode(ChunkMsg{7, 1000, 3000})});
  f.runUntil([&] { return f.has(FrameType::ChunkDone); });
  // Usage goes first: the coordinator has counted the work when it sees the result.
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[0].frame.type == FrameType::Usage);
  CHECK(f.lentCoreS["fp-a"] > 0);
  auto done = f.take(FrameType::ChunkDone);
  REQUIRE(done.size() == 1);
  auto m = *decodeChunkDone(done[0].frame.payload);
  CHECK(m.job == 7);
  CHECK(m.first == 1000);
  CHECK(m.end == 3000);
  CHECK(m.digest == *hashRange(*parseSeed(kKatSeed), 1000, 3000));
  auto flows = f.lender->flows();
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].lending);
  CHECK(flows[0].peer == "name-of-fp-a");
  CHECK(flows[0].done == 2000);
  CHECK(flows[0].total == 1'000'000);
  f.lender->tick();
  CHECK_FALSE(f.has(FrameType::Progress));  // the protocol has no cpu progress for peers
}

TEST_CASE("flows measure a loan's time on the injected clock", "[lender]") {
  Fixture f;
  f.offer("fp-a", f.cpuOffer(1));
  f.clockMs += 2500;
  auto flows = f.lender->flows();
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].elapsedMs == 2500);
}

TEST_CASE("offers are refused with a code and a reason for each cause", "[lender]") {
  Fixture f;
  SECTION("power") {
    f.status.power.willingness = 0;
    f.status.power.reason = "battery 12% discharging";
    f.offer("fp-a", f.cpuOffer(1));
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Power);
    CHECK(r.reason == "desk lends nothing now (battery 12% discharging)");
  }
  SECTION("the borrowing cap") {
    f.capped = "fp-a has borrowed 5.0 times what it lent";
    f.offer("fp-a", f.cpuOffer(1));
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Capped);
    CHECK(r.reason == "desk: fp-a has borrowed 5.0 times what it lent");
  }
  SECTION("busy") {
    f.status.cpu = 1.0;
    f.status.budget.cores = 0;  // the owner's load leaves no budget
    f.offer("fp-a", f.cpuOffer(1));
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Busy);
    CHECK_THAT(r.reason, Catch::StartsWith("desk is busy: 100% CPU, 0.0 spare cores"));
  }
  SECTION("memory") {
    f.offer("fp-a", f.memOffer(1, f.config.mem_offer_mb + 1, 10));
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Memory);
    CHECK_THAT(r.reason, Catch::StartsWith("desk: "));
  }
  SECTION("stopping") {
    f.lender->shutdown("is stopping");
    f.offer("fp-a", f.cpuOffer(1));
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Other);
    CHECK(r.reason == "desk is stopping");
  }
  CHECK(f.lender->active() == 0);
}

TEST_CASE("a repeated offer keeps the first answer", "[lender]") {
  Fixture f;
  f.offer("fp-a", f.cpuOffer(1));
  f.offer("fp-a", f.cpuOffer(1));
  CHECK(f.take(FrameType::Accept).size() == 1);
  CHECK(f.lender->active() == 1);
}

TEST_CASE("a chunk of a job this node does not hold is answered as failed", "[lender]") {
  Fixture f;
  f.lender->onFrame("fp-a", {FrameType::Chunk, encode(ChunkMsg{9, 0, 100})});
  auto done = f.take(FrameType::JobDone);
  REQUIRE(done.size() == 1);
  CHECK(*decodeJobDone(done[0].frame.payload) == JobDoneMsg{9, false, "desk has no such job"});
}

TEST_CASE("a link going down drops only that peer's work", "[lender]") {
  Fixture f;
  f.offer("fp-a", f.memOffer(1, 1, 600'000));
  f.offer("fp-b", f.cpuOffer(1));
  f.offer("fp-a", f.cpuOffer(2));
  REQUIRE(f.lender->active() == 3);
  f.lender->onLinkDown("fp-a");
  CHECK(f.lender->active() == 1);
  auto flows = f.lender->flows();
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].peerFingerprint == "fp-b");
  CHECK(f.jobsEnded == 2);
  // The held memory is given back: its task ends cancelled, and nothing more is sent about it.
  f.sent.clear();
  f.lender->onFrame("fp-b", {FrameType::Chunk, encode(ChunkMsg{1, 0, 100})});
  f.runUntil([&] { return f.has(FrameType::ChunkDone); });
  CHECK(f.take(FrameType::JobDone).empty());
}

TEST_CASE("Release stops a loan's work at once", "[lender]") {
  Fixture f;
  f.offer("fp-a", f.memOffer(3, 1, 600'000));
  REQUIRE(f.lender->active() == 1);
  f.lender->onFrame("fp-a", {FrameType::Release, encode(ReasonMsg{3, "cancelled by its owner"})});
  CHECK(f.lender->active() == 0);
  CHECK(f.jobsEnded == 1);
  CHECK(f.lender->flows().empty());
  // A later chunk finds no job.
  f.lender->onFrame("fp-a", {FrameType::Chunk, encode(ChunkMsg{3, 0, 100})});
  auto done = f.take(FrameType::JobDone);
  REQUIRE(done.size() == 1);
  CHECK(decodeJobDone(done[0].frame.payload)->error == "desk has no such job");
}

TEST_CASE("a mem loan reports progress each tick and its end", "[lender]") {
  Fixture f;
  f.offer("fp-a", f.memOffer(4, 1, 0));
  f.lender->tick();
  auto progress = f.take(FrameType::Progress);
  REQUIRE(progress.size() == 1);
  auto p = *decodeProgress(progress[0].frame.payload);
  CHECK(p.job == 4);
  CHECK(p.total > 0);
  f.runUntil([&] { return f.lender->active() == 0; });
  auto done = f.take(FrameType::JobDone);
  REQUIRE(done.size() == 1);
  CHECK(*decodeJobDone(done[0].frame.payload) == JobDoneMsg{4, true, ""});
}

TEST_CASE("shutdown tells every coordinator and ends every loan", "[lender]") {
  Fixture f;
  f.offer("fp-a", f.cpuOffer(1));
  f.offer("fp-b", f.memOffer(2, 1, 600'000));
  f.lender->shutdown("is stopping");
  auto done = f.take(FrameType::JobDone);
  REQUIRE(done.size() == 2);
  std::map<std::string, JobDoneMsg> by;
  for (auto& s : done) by[s.to] = *decodeJobDone(s.frame.payload);
  CHECK(by["fp-a"] == JobDoneMsg{1, false, "desk is stopping"});
  CHECK(by["fp-b"] == JobDoneMsg{2, false, "desk is stopping"});
  CHECK(f.lender->active() == 0);
  f.lender->shutdown("is stopping");  // idempotent
  CHECK(f.take(FrameType::JobDone).empty());
}

TEST_CASE("a malformed frame is dropped", "[lender]") {
  Fixture f;
  f.lender->onFrame("fp-a", {FrameType::Offer, Bytes{1, 2}});
  f.lender->onFrame("fp-a", {FrameType::Accept, encode(AcceptMsg{1, 1})});
  CHECK(f.sent.empty());
  CHECK(f.lender->active() == 0);
}

// This node's own cpu and mem work comes from its coordinator as fingerprint "": the owner's
// work, so neither the borrowing cap, nor power, nor a busy machine turns it down, and none of it
// is lent: no ledger entry, no usage report, no flow.
TEST_CASE("this node's own work is not capped, not refused when busy, and not counted",
          "[lender]") {
  Fixture f;
  f.status.cpu = 1.0;
  f.status.power.willingness = 0;
  f.status.power.reason = "battery 5%";
  f.capped = "over its borrowing cap";
  f.offer("", f.cpuOffer(4));
  auto accepts = f.take(FrameType::Accept);
  REQUIRE(accepts.size() == 1);
  CHECK(accepts[0].to.empty());
  CHECK(*decodeAccept(accepts[0].frame.payload) == AcceptMsg{4, 2});
  f.lender->onFrame("", {FrameType::Chunk, encode(ChunkMsg{4, 0, 2000})});
  f.runUntil([&] { return f.has(FrameType::ChunkDone); });
  auto done = f.take(FrameType::ChunkDone);
  REQUIRE(done.size() == 1);
  CHECK(done[0].to.empty());
  CHECK(decodeChunkDone(done[0].frame.payload)->digest ==
        *hashRange(*parseSeed(kKatSeed), 0, 2000));
  CHECK_FALSE(f.has(FrameType::Usage));
  CHECK(f.lentCoreS.empty());
  CHECK(f.lender->active() == 1);
  CHECK(f.lender->flows().empty());  // no "lending to myself" for vestatop
  // Its own coordinator hears of chunks in flight too, for a smooth progress.
  f.lender->tick();
  auto progress = f.take(FrameType::Progress);
  REQUIRE(progress.size() == 1);
  CHECK(progress[0].to.empty());
  CHECK(*decodeProgress(progress[0].frame.payload) == ProgressMsg{4, 2000, 1'000'000});
  f.lender->onFrame("", {FrameType::Release, encode(ReasonMsg{4, "done"})});
  CHECK(f.lender->active() == 0);
  CHECK(f.jobsEnded == 0);  // nothing of it is in the ledger to save
}

TEST_CASE("this node's own mem job holds its memory, reports progress, and still must fit",
          "[lender]") {
  Fixture f;
  f.status.power.willingness = 0;
  f.capped = "over its borrowing cap";
  f.offer("", f.memOffer(5, 8, 100));
  REQUIRE(f.take(FrameType::Accept).size() == 1);
  f.lender->tick();
  auto progress = f.take(FrameType::Progress);
  REQUIRE(progress.size() == 1);
  CHECK(progress[0].to.empty());
  CHECK(decodeProgress(progress[0].frame.payload)->total == 8 * 256 + 100);
  f.runUntil([&] { return f.has(FrameType::JobDone); });
  auto ended = f.take(FrameType::JobDone);
  CHECK(decodeJobDone(ended[0].frame.payload)->ok);
  CHECK_FALSE(f.has(FrameType::Usage));
  CHECK(f.lentCoreS.empty());
  // The owner's reserve is kept even for the owner's own job.
  f.offer("", f.memOffer(6, f.config.mem_offer_mb + 1, 100));
  CHECK(f.onlyRefusal().code == RefuseCode::Memory);
}
