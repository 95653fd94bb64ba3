// The coordinator with a real loop; its runners are played by the test, which reads the frames
// the coordinator sends and answers as a runner would: peers by their fingerprints, and this
// node's own Lender, which the coordinator reaches as fingerprint "" like any peer.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <vector>

#include "coordinator.h"
#include "hex.h"
#include "proto.h"
#include "sent_frames.h"

using namespace vesta;

namespace {

const char* kKatSeed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
// The single-node results for kKatSeed, computed outside the project (Python's hashlib: the XOR
// of SHA-256(seed || le64(i)) for i below 1, 2, 4 and 8 million). A merged job must equal them;
// comparing with known answers instead of hashing the whole range again here halves these
// tests' hashing, which dominates the unit tests' time under qemu-user.
const char* kKatResult1M = "0326425d10833976a29c78d9e5d2898be5852634e117b4e4e9ac0af6ad8fa408";
const char* kKatResult2M = "d993d824b042d026faf7d5640a08da6986125352f1cd2faf3581beb2f6918df7";
const char* kKatResult4M = "913ece5bbaa6163b72c24ffe5a20960079a0b00db4e3c5c01b641d03596e09d5";
const char* kKatResult8M = "6590825abbaa19aa4c8e43bc9457d4a5f9cdcf4b667b437c2c33d05066d0f00c";

struct Fixture {
  uv_loop_t loop;
  Config config;
  std::unique_ptr<JobTable> jobs;
  std::unique_ptr<Coordinator> coordinator;
  std::vector<std::pair<uint64_t, JobChange>> changes;
  std::vector<Sent> sent;
  double selfBusy = 0.1;
  std::vector<NodeView> peers;
  bool linkUp = true;
  std::map<std::string, double> borrowedCoreS;
  int jobsEnded = 0;
  std::vector<std::string> capped;
  // The coordinator's clock stands still unless a test moves it: however slow this machine (or
  // qemu) runs a chunk, nothing becomes overdue behind the test's back.
  uint64_t clockMs = 1000;

  // splitMinMillions: jobs from this size split (0: the config's default, 50 M).
  explicit Fixture(size_t keep = 64, uint32_t splitMinMillions = 0) {
    uv_loop_init(&loop);
    config.name = "desk";
    if (splitMinMillions) config.split_min_millions = splitMinMillions;
    jobs = std::make_unique<JobTable>(
        "desk",
        [this](const Job& j, JobChange c) {
          changes.push_back({j.id, c});
        },
        keep);
    Coordinator::Hooks hooks{
        [this] {
          NodeView self;
          self.name = "desk";
          self.self = true;
          self.cores = 2;
          self.cpu_busy = selfBusy;
          self.mem_available_mb = 4000;
          self.mem_offer_mb = 1024;
          std::vector<NodeView> all{self};
          all.insert(all.end(), peers.begin(), peers.end());
          return all;
        },
        [this](const std::string& fp, const Frame& f) {
          if (!linkUp) return false;
          sent.push_back({fp, f});
          return true;
        },
        [this](const std::string& fp, double core, double) { borrowedCoreS[fp] += core; },
        [this] { ++jobsEnded; },
        [this](const std::string& fp) { capped.push_back(fp); },
        [this] { return clockMs; }};
    coordinator = std::make_unique<Coordinator>(&loop, config, *jobs, hooks);
    jobs->setCanceller([this](Job& j, const std::string& why) { coordinator->cancel(j, why); });
  }
  void addPeer(const std::string& name, double spare) {
    NodeView v;
    v.name = name;
    v.fingerprint = "fp-" + name;
    v.cores = 4;
    v.spare_cores = spare;
    v.mem_available_mb = 4000;
    v.mem_offer_mb = 1024;
    peers.push_back(v);
  }
  // The frames of `type` sent so far (to `to` only, when given), taken out of `sent`.
  std::vector<Sent> take(FrameType type) { return takeFrames(sent, type); }
  std::vector<Sent> takeTo(FrameType type, const std::string& to) {
    std::vector<Sent> out, rest;
    for (auto& s : sent) (s.frame.type == type && s.to == to ? out : rest).push_back(s);
    sent = rest;
    return out;
  }
  // Plays this node's own Lender, an honest one: accepts what is offered to "" with 2 workers and
  // answers its chunks with their true digests. runUntil does it on every round.
  std::map<uint64_t, JobSeed> selfSeeds;
  void serveSelf() {
    for (auto& s : takeTo(FrameType::Offer, "")) {
      auto o = *decodeOffer(s.frame.payload);
      selfSeeds[o.job] = o.seed;
      coordinator->onFrame("", {FrameType::Accept, encode(AcceptMsg{o.job, 2})});
    }
    for (auto& s : takeTo(FrameType::Chunk, "")) {
      auto c = *decodeChunk(s.frame.payload);
      ChunkDoneMsg done{c.job, c.first, c.end, *hashRange(selfSeeds[c.job], c.first, c.end)};
      coordinator->onFrame("", {FrameType::ChunkDone, encode(done)});
    }
  }
  template <typename Pred>
  void runUntil(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop, UV_RUN_NOWAIT);
      serveSelf();
      coordinator->tick();
    }
    REQUIRE(done());
  }
  // Answers every chunk sent to `fp` with its true result, as an honest runner would.
  void serveChunks(const std::string& fp, const JobSeed& seed) {
    for (auto& s : takeTo(FrameType::Chunk, fp)) {
      auto c = *decodeChunk(s.frame.payload);
      ChunkDoneMsg done{c.job, c.first, c.end, *hashRange(seed, c.first, c.end)};
      coordinator->onFrame(fp, {FrameType::ChunkDone, encode(done)});
    }
  }
  ~Fixture() {
    coordinator.reset();
    jobs.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
};

}  // namespace

TEST_CASE("a cpu job alone on this node gives the known answer", "[coordinator]") {
  Fixture f;
  Job& job = *f.coordinator->submitCpu(1, *parseSeed(kKatSeed), {}).value();
  CHECK_THAT(job.reason, Catch::Contains("desk: local"));
  f.runUntil([&] { return isTerminal(job.state); });
  CHECK(job.state == JobState::Done);
  CHECK(job.result == kKatResult1M);
  CHECK(job.progress() == 1.0);
  CHECK(job.node == "desk");
  REQUIRE(job.parts.size() == 1);
  CHECK(job.parts[0].iterations == 1'000'000);
  CHECK(f.changes.front().second == JobChange::Created);
  // Its one part went to this node's own runner, and no frame to a peer.
  CHECK(f.selfSeeds.count(job.id) == 1);
  for (auto& s : f.sent) CHECK(s.to.empty());
}

TEST_CASE("a split job merges this node's and a peer's chunks to the single-node result",
          "[coordinator]") {
  Fixture f;
  f.config.split_min_millions = 1;
  f.coordinator = nullptr;  // rebuilt with the new policy below
  Coordinator::Hooks hooks{[&] {
                             NodeView self;
                             self.name = "desk";
                             self.self = true;
                             self.cores = 2;
                             self.cpu_busy = 0.1;
                             std::vector<NodeView> all{self};
                             all.insert(all.end(), f.peers.begin(), f.peers.end());
                             return all;
                           },
                           [&](const std::string& fp, const Frame& fr) {
                             f.sent.push_back({fp, fr});
                             return true;
                           },
                           [](const std::string&, double, double) {},
                           [] {},
                           [](const std::string&) {},
                           [&] { return f.clockMs; }};
  f.coordinator = std::make_unique<Coordinator>(&f.loop, f.config, *f.jobs, hooks);
  f.addPeer("pi4", 3);
  JobSeed seed = *parseSeed(kKatSeed);
  Job& job = *f.coordinator->submitCpu(4, seed, {}).value();
  CHECK_THAT(job.reason, Catch::Contains("split over 2 nodes"));
  auto offers = f.takeTo(FrameType::Offer, "fp-pi4");
  REQUIRE(offers.size() == 1);
  auto offer = *decodeOffer(offers[0].frame.payload);
  CHECK(offer.seed == seed);
  CHECK(offer.iterations == 4'000'000);
  f.coordinator->onFrame("fp-pi4", {FrameType::Accept, encode(AcceptMsg{job.id, 1})});
  f.serveSelf();  // both runners hold chunks before either reports one
  f.runUntil([&] {
    f.serveChunks("fp-pi4", seed);
    return isTerminal(job.state);
  });
  CHECK(job.state == JobState::Done);
  CHECK(job.result == kKatResult4M);
  uint64_t sum = 0;
  for (auto& p : job.parts) sum += p.iterations;
  CHECK(sum == 4'000'000);
  // Both took part, and the peer was told the job is over.
  REQUIRE(job.parts.size() == 2);
  CHECK(job.parts[1].node == "pi4");
  CHECK(job.parts[1].iterations > 0);
  CHECK(job.parts[0].node == "desk");
  CHECK(job.parts[0].iterations > 0);
  CHECK(job.node == "desk+pi4");
  // Both runners, the peer and this node's own, were told the job is over.
  CHECK(f.takeTo(FrameType::Release, "fp-pi4").size() == 1);
  CHECK(f.takeTo(FrameType::Release, "").size() == 1);
}

TEST_CASE("a busy node spills to a peer, and a refusal sends the job elsewhere", "[coordinator]") {
  Fixture f;
  f.selfBusy = 0.95;
  f.addPeer("pi4", 3);
  f.addPeer("laptop", 1);
  JobSeed seed = *parseSeed(kKatSeed);
  Job& job = *f.coordinator->submitCpu(2, seed, {}).value();
  CHECK_THAT(job.reason, Catch::Contains("pi4: 3.0 spare cores"));
  CHECK_THAT(job.reason, Catch::Contains("desk over spill threshold 80% (95%)"));
  auto offers = f.take(FrameType::Offer);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].to == "fp-pi4");
  f.coordinator->onFrame(
      "fp-pi4", {FrameType::Refuse, encode(RefuseMsg{job.id, RefuseCode::Busy, "pi4 is busy"})});
  offers = f.take(FrameType::Offer);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].to == "fp-laptop");
  CHECK_THAT(job.reason, Catch::Contains("then laptop"));
  f.coordinator->onFrame("fp-laptop", {FrameType::Accept, encode(AcceptMsg{job.id, 2})});
  f.runUntil([&] {
    f.serveChunks("fp-laptop", seed);
    return isTerminal(job.state);
  });
  CHECK(job.state == JobState::Done);
  CHECK(job.node == "laptop");
  CHECK(job.result == kKatResult2M);
}

TEST_CASE("a peer lost mid-job has its chunks re-run, here when no peer is left", "[coordinator]") {
  Fixture f;
  f.selfBusy = 0.95;
  f.addPeer("pi4", 3);
  JobSeed seed = *parseSeed(kKatSeed);
  Job& job = *f.coordinator->submitCpu(8, seed, {}).value();
  f.take(FrameType::Offer);
  f.coordinator->onFrame("fp-pi4", {FrameType::Accept, encode(AcceptMsg{job.id, 1})});
  // The peer finishes one chunk, then dies with the rest in flight.
  auto chunks = f.take(FrameType::Chunk);
  REQUIRE(chunks.size() == 2);
  auto c = *decodeChunk(chunks[0].frame.payload);
  f.coordinator->onFrame(
      "fp-pi4", {FrameType::ChunkDone,
                 encode(ChunkDoneMsg{job.id, c.first, c.end, *hashRange(seed, c.first, c.end)})});
  f.coordinator->onLinkDown("fp-pi4");
  CHECK_THAT(job.reason, Catch::Contains("no peer can take it"));
  f.runUntil([&] { return isTerminal(job.state); });
  CHECK(job.state == JobState::Done);
  CHECK(job.result == kKatResult8M);
  CHECK(job.parts[0].node == "pi4");
  CHECK(job.parts[0].state == "lost");
  CHECK(job.parts[0].iterations == c.end - c.first);
}

TEST_CASE("a split that a node left without finishing a chunk counts only the workers that did",
          "[coordinator]") {
  Fixture f(64, 1);
  f.addPeer("pi4", 3);
  JobSeed seed = *parseSeed(kKatSeed);
  Job& job = *f.coordinator->submitCpu(4, seed, {}).value();
  REQUIRE_THAT(job.reason, Catch::Contains("split over 2 nodes"));
  f.coordinator->onFrame("fp-pi4", {FrameType::Accept, encode(AcceptMsg{job.id, 3})});
  f.serveSelf();
  CHECK(job.workers == 5);              // both run: 2 here, 3 on pi4
  f.coordinator->onLinkDown("fp-pi4");  // pi4 leaves having finished nothing
  f.runUntil([&] { return isTerminal(job.state); });
  CHECK(job.state == JobState::Done);
  CHECK(job.result == kKatResult4M);
  CHECK(job.workers == 2);  // the per-worker rate divides by desk's workers alone
  REQUIRE(job.parts.size() == 2);
  CHECK(job.parts[1].node == "pi4");
  CHECK(job.parts[1].iterations == 0);
}

TEST_CASE("a mem part its node reports as failed reads as that node's failure, not lost",
          "[coordinator]") {
  Fixture f;
  f.addPeer("pi4", 3);
  PlacementRequest how;
  how.on = "pi4";
  Job& job = *f.coordinator->submitMem(64, 100, how).value();
  f.coordinator->onFrame("fp-pi4", {FrameType::Accept, encode(AcceptMsg{job.id, 1})});
  f.coordinator->onFrame(
      "fp-pi4",
      {FrameType::JobDone,
       encode(JobDoneMsg{job.id, false, "could not map 64 MiB (Cannot allocate memory)"})});
  CHECK(job.state == JobState::Failed);
  CHECK(job.error == "pi4 failed: could not map 64 MiB (Cannot allocate memory)");
  REQUIRE(job.parts.size() == 1);
  CHECK(job.parts[0].state == "failed");
}

TEST_CASE("a job pinned with --on fails when its node refuses, with the reason", "[coordinator]") {
  Fixture f;
  f.addPeer("pi4", 3);
  PlacementRequest how;
  how.on = "pi4";
  Job& job = *f.coordinator->submitMem(64, 100, how).value();
  auto offers = f.take(FrameType::Offer);
  REQUIRE(offers.size() == 1);
  CHECK(decodeOffer(offers[0].frame.payload)->mem_mb == 64);
  f.coordinator->onFrame(
      "fp-pi4",
      {FrameType::Refuse, encode(RefuseMsg{job.id, RefuseCode::Memory,
                                           "pi4: 64 MiB would eat into the owner's reserve"})});
  CHECK(job.state == JobState::Failed);
  CHECK_THAT(job.error, Catch::Contains("pi4 refused: pi4: 64 MiB would eat into"));
}

TEST_CASE("a mem job that fits nowhere fails at once and names every node", "[coordinator]") {
  Fixture f;
  f.addPeer("pi4", 3);
  Job& job = *f.coordinator->submitMem(2000, 100, {}).value();
  CHECK(job.state == JobState::Failed);
  CHECK_THAT(job.error, Catch::Contains("no node can take it"));
  CHECK_THAT(job.error, Catch::Contains("desk: 2000 MiB is more than its mem_offer_mb 1024 MiB"));
  CHECK_THAT(job.error, Catch::Contains("pi4: 2000 MiB is more than its mem_offer_mb 1024 MiB"));
}

TEST_CASE("a remote mem job finishes when its runner says so", "[coordinator]") {
  Fixture f;
  f.peers.clear();
  f.addPeer("pi4", 3);
  PlacementRequest how;
  how.on = "pi4";
  Job& job = *f.coordinator->submitMem(8, 50, how).value();
  f.coordinator->onFrame("fp-pi4", {FrameType::Accept, encode(AcceptMsg{job.id, 1})});
  CHECK(job.state == JobState::Running);
  CHECK(f.coordinator->flows().size() == 1);
  f.coordinator->onFrame("fp-pi4", {FrameType::JobDone, encode(JobDoneMsg{job.id, true, ""})});
  CHECK(job.state == JobState::Done);
  CHECK(f.coordinator->flows().empty());
}

TEST_CASE("cancelling a split job releases its peers and stops local work", "[coordinator]") {
  Fixture f;
  f.selfBusy = 0.95;
  f.addPeer("pi4", 3);
  Job& job = *f.coordinator->submitCpu(100000, randomSeed(), {}).value();
  f.coordinator->onFrame("fp-pi4", {FrameType::Accept, encode(AcceptMsg{job.id, 1})});
  REQUIRE(f.jobs->cancel(job.id));
  CHECK(job.state == JobState::Cancelled);
  auto released = f.take(FrameType::Release);
  REQUIRE(released.size() == 1);
  CHECK(decodeReason(released[0].frame.payload)->reason == "cancelled by request");
  CHECK_THAT(f.jobs->cancel(job.id).error(), Catch::Contains("already cancelled"));
  CHECK_THAT(f.jobs->cancel(999).error(), Catch::Contains("does not exist"));
  // A late result for the cancelled job is answered with a release, not counted.
  f.coordinator->onFrame("fp-pi4", {FrameType::ChunkDone, encode(ChunkDoneMsg{job.id, 0, 10, {}})});
  CHECK(f.take(FrameType::Release).size() == 1);
  CHECK(job.state == JobState::Cancelled);
}

TEST_CASE("only the newest finished jobs are kept", "[coordinator]") {
  Fixture f(2);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    Job& job = *f.coordinator->submitCpu(1, randomSeed(), {}).value();
    ids.push_back(job.id);
    f.runUntil([&] { return isTerminal(job.state); });
  }
  CHECK(f.jobs->find(ids[0]) == nullptr);
  CHECK(f.jobs->find(ids[1]) != nullptr);
  bool removed = false;
  for (auto& [id, change] : f.changes) removed |= id == ids[0] && change == JobChange::Removed;
  CHECK(removed);
}

TEST_CASE("shutting down with local jobs in flight tells this node's runner to stop each",
          "[coordinator]") {
  Fixture f;
  Job& cpu = *f.coordinator->submitCpu(100000, randomSeed(), {}).value();
  Job& mem = *f.coordinator->submitMem(4, 60000, {}).value();
  f.serveSelf();
  CHECK(cpu.state == JobState::Running);
  CHECK(mem.state == JobState::Running);
  CHECK(f.coordinator->flows().empty());  // this node's own work is no flow
  f.jobs->cancelAll("stopping");
  for (auto& [id, job] : f.jobs->all()) CHECK(job->state == JobState::Cancelled);
  auto released = f.takeTo(FrameType::Release, "");
  REQUIRE(released.size() == 2);
  CHECK(decodeReason(released[0].frame.payload)->job == cpu.id);
  CHECK(decodeReason(released[1].frame.payload)->job == mem.id);
  CHECK(f.coordinator->active() == 0);
}

TEST_CASE("usage a runner reports is counted as borrowed, even after the job ended",
          "[coordinator]") {
  Fixture f;
  f.addPeer("pi4", 3);
  PlacementRequest how;
  how.on = "pi4";
  Job& job = *f.coordinator->submitMem(8, 50, how).value();
  f.coordinator->onFrame("fp-pi4", {FrameType::Accept, encode(AcceptMsg{job.id, 1})});
  f.coordinator->onFrame("fp-pi4", {FrameType::Usage, encode(UsageMsg{job.id, 250'000, 400'000})});
  f.coordinator->onFrame("fp-pi4", {FrameType::JobDone, encode(JobDoneMsg{job.id, true, ""})});
  CHECK(f.jobsEnded == 1);
  f.coordinator->onFrame("fp-pi4", {FrameType::Usage, encode(UsageMsg{job.id, 500'000, 0})});
  CHECK(f.borrowedCoreS["fp-pi4"] == Approx(0.75));
}

TEST_CASE("a refusal for the borrowing cap is reported, and the job goes elsewhere",
          "[coordinator]") {
  Fixture f;
  f.selfBusy = 0.95;
  f.addPeer("pi4", 3);
  f.addPeer("laptop", 1);
  Job& job = *f.coordinator->submitCpu(2, randomSeed(), {}).value();
  f.coordinator->onFrame(
      "fp-pi4", {FrameType::Refuse, encode(RefuseMsg{job.id, RefuseCode::Capped, "pi4: capped"})});
  CHECK(f.capped == std::vector<std::string>{"fp-pi4"});
  auto offers = f.take(FrameType::Offer);
  REQUIRE(offers.size() == 2);
  CHECK(offers[1].to == "fp-laptop");
  // The part keeps the runner's code, so the bus shows it as a structured refusal.
  REQUIRE(!job.parts.empty());
  CHECK(job.parts[0].state == "refused");
  CHECK(job.parts[0].refusal == RefuseCode::Capped);
}

TEST_CASE("this node's own runner's progress shows before its chunks finish", "[coordinator]") {
  Fixture f;
  Job& job = *f.coordinator->submitCpu(4, randomSeed(), {}).value();
  REQUIRE(f.takeTo(FrameType::Offer, "").size() == 1);
  f.coordinator->onFrame("", {FrameType::Accept, encode(AcceptMsg{job.id, 2})});
  CHECK(job.state == JobState::Running);
  CHECK(job.workers == 2);
  f.coordinator->onFrame("",
                         {FrameType::Progress, encode(ProgressMsg{job.id, 1'000'000, 4'000'000})});
  f.coordinator->tick();
  CHECK(job.progress() == Approx(0.25));
  CHECK(job.parts[0].iterations == 0);  // done only with its chunk's digest
}
