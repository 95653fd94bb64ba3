// The exec client (the coordinator of `vesta exec`) with a real loop and real pipes standing for
// the submitter's terminal; the runners, this node's own included, are played by the test, which
// reads the frames the client sends and answers as a runner would. The clock of offer timeouts
// is the test's.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <vector>

#include "exec_client.h"
#include "proto.h"
#include "sent_frames.h"
#include "sha256.h"

using namespace vesta;

namespace {

Bytes bytesOf(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

// A pipe whose read end the test keeps, as `vesta exec` would.
struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    read = p[0];
    write = p[1];
    ::fcntl(read, F_SETFL, O_NONBLOCK);
  }
  ~Pipe() {
    if (read >= 0) ::close(read);
  }
  // What is in the pipe now.
  std::string drain() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(read, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  // True once every write end is closed and the pipe is empty.
  bool atEnd() const {
    char c;
    return ::read(read, &c, 1) == 0;
  }
};

struct Fixture {
  uv_loop_t loop;
  Config config;
  std::unique_ptr<JobTable> jobs;
  std::unique_ptr<ExecClient> client;
  std::vector<Sent> sent;
  std::vector<NodeView> peers;
  double selfBusy = 0.1;
  bool selfExec = true;
  std::map<std::string, double> borrowedCoreS;
  int jobsEnded = 0;
  uint64_t clockMs = 1000;

  Fixture() {
    uv_loop_init(&loop);
    config.name = "desk";
    jobs = std::make_unique<JobTable>("desk", [](const Job&, JobChange) {});
    ExecClient::Hooks hooks{
        [this] {
          NodeView self;
          self.name = "desk";
          self.self = true;
          self.cores = 4;
          self.cpu_busy = selfBusy;
          self.exec.allow_exec = selfExec;
          self.exec_slots = 2;
          std::vector<NodeView> all{self};
          all.insert(all.end(), peers.begin(), peers.end());
          return all;
        },
        [this](const std::string& fp, const Frame& f) {
          sent.push_back({fp, f});
          return true;
        },
        [this](const std::string& fp, double core, double) { borrowedCoreS[fp] += core; },
        [this] { ++jobsEnded; }, [this] { return clockMs; }};
    client = std::make_unique<ExecClient>(&loop, config, *jobs, hooks);
    jobs->setCanceller([this](Job& j, const std::string& why) { client->cancel(j, why); });
  }
  void addPeer(const std::string& name, double spare) {
    NodeView v;
    v.name = name;
    v.fingerprint = "fp-" + name;
    v.cores = 4;
    v.spare_cores = spare;
    v.exec.allow_exec = true;
    v.exec_slots = 2;
    peers.push_back(v);
  }
  ExecClient::Request request(std::vector<std::string> argv, Pipe& out, Pipe& err) {
    ExecClient::Request r;
    r.argv = std::move(argv);
    r.out.reset(out.write);
    r.err.reset(err.write);
    out.write = err.write = -1;  // the client's from now on
    return r;
  }
  std::vector<Sent> take(FrameType type) { return takeFrames(sent, type); }
  // Two peers, pi4 with more room than laptop, and this node over its spill threshold (`busyHere`)
  // or not running exec at all: a command goes to pi4.
  Job& offeredToPi4(Pipe& out, Pipe& err, bool busyHere) {
    selfBusy = 0.95;
    selfExec = busyHere;
    addPeer("pi4", 3);
    addPeer("laptop", 1);
    Job& job = *client->submit(request({"echo"}, out, err)).value();
    CHECK(offeredTo() == "fp-pi4");
    return job;
  }
  // The one offer sent since the last call: to whom.
  std::string offeredTo() {
    auto offers = take(FrameType::ExecOffer);
    REQUIRE(offers.size() == 1);
    return offers[0].to;
  }
  void answer(const std::string& fp, FrameType type, Bytes payload) {
    client->onFrame(fp, {type, std::move(payload)});
  }
  void accept(const std::string& fp, uint64_t job, std::vector<Digest> missing = {}) {
    answer(fp, FrameType::ExecAccept, encode(ExecAcceptMsg{job, std::move(missing)}));
  }
  void refuse(const std::string& fp, uint64_t job, RefuseCode code, const std::string& why) {
    answer(fp, FrameType::ExecRefuse, encode(RefuseMsg{job, code, why}));
  }
  ~Fixture() {
    client->shutdown("stopping");
    client->tick();
    client.reset();
    jobs.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
};

}  // namespace

TEST_CASE("a command runs on this node and its output reaches the submitter's pipes",
          "[exec_client]") {
  Fixture f;
  Pipe out, err;
  Job& job = *f.client->submit(f.request({"echo", "hi"}, out, err)).value();
  CHECK(f.offeredTo() == "");
  CHECK(job.node == "desk");
  CHECK_THAT(job.reason, Catch::StartsWith("desk: local"));
  f.accept("", job.id);
  CHECK(job.state == JobState::Running);
  f.answer("", FrameType::Output, encode(OutputMsg{job.id, OutputStream::Stdout, bytesOf("hi\n")}));
  f.answer("", FrameType::Output,
           encode(OutputMsg{job.id, OutputStream::Stderr, bytesOf("warn\n")}));
  CHECK(out.drain() == "hi\n");
  CHECK(err.drain() == "warn\n");
  // Every byte the submitter took is credited back to the runner.
  uint64_t credited = 0;
  for (auto& s : f.take(FrameType::OutputCredit)) {
    auto c = *decodeCredit(s.frame.payload);
    CHECK(c.for_output);
    credited += c.bytes;
  }
  CHECK(credited == 8);
  f.answer("", FrameType::ExecExit, encode(ExecExitMsg{job.id, 3, 0, false, ""}));
  CHECK(job.state == JobState::Done);
  CHECK(job.result == "exit 3");
  CHECK(job.exitStatus == 3);
  CHECK(f.jobsEnded == 1);
  CHECK(f.client->active() == 0);
  CHECK(out.atEnd());
  CHECK(err.atEnd());
}

TEST_CASE("a refusal places the command on the next node, and never asks the refuser again",
          "[exec_client]") {
  Fixture f;
  Pipe out, err;
  Job& job = f.offeredToPi4(out, err, true);
  CHECK(f.client->runningOn() == std::map<std::string, unsigned>{{"pi4", 1}});
  f.refuse("fp-pi4", job.id, RefuseCode::Busy, "pi4 is busy: 99% CPU");
  CHECK(f.offeredTo() == "fp-laptop");
  CHECK_THAT(job.reason, Catch::Contains("; then laptop"));
  // A stale or foreign refusal changes nothing.
  f.refuse("fp-pi4", job.id, RefuseCode::Busy, "pi4 is busy");
  CHECK(f.sent.empty());
  f.refuse("fp-laptop", job.id, RefuseCode::Other, "laptop: exec is off there (allow_exec)");
  // This node is busy, but it is the one left that would take it.
  CHECK(f.offeredTo() == "");
  f.refuse("", job.id, RefuseCode::Other, "desk: exec is off there (allow_exec)");
  CHECK(job.state == JobState::Failed);
  CHECK_THAT(job.error,
             Catch::Contains("is busy: 99% CPU") &&
                 Catch::Contains("laptop refused: laptop: exec is off there (allow_exec)") &&
                 Catch::Contains("desk refused: desk: exec is off there (allow_exec)"));
  CHECK(out.atEnd());
}

TEST_CASE("an offer unanswered in time is released and placed elsewhere", "[exec_client]") {
  Fixture f;
  Pipe out, err;
  Job& job = f.offeredToPi4(out, err, true);
  f.clockMs += 10'000;
  f.client->tick();
  CHECK(f.sent.empty());  // not late yet
  f.clockMs += 1;
  f.client->tick();
  auto releases = f.take(FrameType::ExecRelease);
  REQUIRE(releases.size() == 1);
  CHECK(releases[0].to == "fp-pi4");
  CHECK(*decodeReason(releases[0].frame.payload) == ReasonMsg{job.id, "no answer in time"});
  CHECK(f.offeredTo() == "fp-laptop");
  // A late answer from the first runner is not taken for the second's.
  f.accept("fp-pi4", job.id);
  CHECK(job.state == JobState::Queued);
  f.accept("fp-laptop", job.id);
  CHECK(job.state == JobState::Running);
}

TEST_CASE("a runner lost before it answers gets the command placed elsewhere", "[exec_client]") {
  Fixture f;
  Pipe out, err;
  Job& job = f.offeredToPi4(out, err, false);
  f.client->onLinkDown("fp-laptop");  // not where it is: nothing changes
  CHECK(f.sent.empty());
  f.client->onLinkDown("fp-pi4");
  CHECK(f.offeredTo() == "fp-laptop");
  CHECK(job.state == JobState::Queued);
}

TEST_CASE("a runner lost mid-command fails the job: a command is not re-run by itself",
          "[exec_client]") {
  Fixture f;
  Pipe out, err;
  Job& job = f.offeredToPi4(out, err, false);
  f.accept("fp-pi4", job.id);
  REQUIRE(f.client->flows().size() == 1);
  f.client->onLinkDown("fp-pi4");
  CHECK(job.state == JobState::Failed);
  CHECK(job.error ==
        "lost pi4 mid-job (its link went down); a command is not re-run elsewhere by itself");
  CHECK(f.take(FrameType::ExecOffer).empty());
  CHECK(f.client->flows().empty());
}

TEST_CASE("--put files go out in pieces under the runner's file credit", "[exec_client]") {
  Fixture f;
  std::string content;
  for (int i = 0; content.size() < kStreamWindow + 300'000; ++i) content += std::to_string(i);
  char path[] = "/tmp/vesta-client-put-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::unlink(path);
  REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  Sha256 h;
  h.update(bytesOf(content));
  Digest digest = h.final();
  Pipe out, err;
  auto req = f.request({"cat", "in.txt"}, out, err);
  req.puts.push_back({"in.txt", digest, content.size(), false, UniqueFd(fd)});
  Job& job = *f.client->submit(std::move(req)).value();
  auto offers = f.take(FrameType::ExecOffer);
  REQUIRE(offers.size() == 1);
  auto offer = *decodeExecOffer(offers[0].frame.payload);
  REQUIRE(offer.files.size() == 1);
  CHECK(offer.files[0] == ShippedFile{"in.txt", digest, content.size(), false});
  f.accept("", job.id, {digest});

  std::string got;
  auto receive = [&] {
    uint64_t n = 0;
    for (auto& s : f.take(FrameType::FileData)) {
      auto m = *decodeFileData(s.frame.payload);
      CHECK(m.sha256 == digest);
      CHECK(m.offset == got.size());
      CHECK(m.data.size() <= kMaxDataPiece);
      got.append(m.data.begin(), m.data.end());
      n += m.data.size();
    }
    return n;
  };
  CHECK(receive() == kStreamWindow);  // one window, then it waits
  CHECK(receive() == 0);
  f.answer("", FrameType::FileCredit, encode(CreditMsg{job.id, false, 1000}));
  CHECK(receive() == 1000);
  f.answer("", FrameType::FileCredit, encode(CreditMsg{job.id, false, kStreamWindow}));
  receive();
  CHECK(got == content);
}

TEST_CASE("a runner asking for a file it was not offered fails the job", "[exec_client]") {
  Fixture f;
  Pipe out, err;
  Job& job = *f.client->submit(f.request({"echo"}, out, err)).value();
  f.take(FrameType::ExecOffer);
  f.accept("", job.id, {Digest{}});
  auto releases = f.take(FrameType::ExecRelease);
  REQUIRE(releases.size() == 1);
  CHECK(decodeReason(releases[0].frame.payload)->reason == "asked for a file it was not offered");
  CHECK(job.state == JobState::Failed);
  CHECK(job.error == "desk asked for a file it was not offered");
}

TEST_CASE("--get records the submitter did not ask for stop the job", "[exec_client]") {
  Fixture f;
  Pipe out, err, files;
  auto req = f.request({"echo"}, out, err);
  req.gets = {"*.txt"};
  req.files.reset(files.write);
  files.write = -1;
  Job& job = *f.client->submit(std::move(req)).value();
  f.take(FrameType::ExecOffer);
  f.accept("", job.id);
  Bytes good = encodeFileRecordHeader({"a.txt", 2});
  good.push_back('o');
  good.push_back('k');
  f.answer("", FrameType::Output, encode(OutputMsg{job.id, OutputStream::Files, good}));
  CHECK(files.drain() == std::string(good.begin(), good.end()));
  f.answer("", FrameType::Output,
           encode(OutputMsg{job.id, OutputStream::Files, encodeFileRecordHeader({".bashrc", 1})}));
  CHECK(f.take(FrameType::ExecRelease).size() == 1);
  CHECK(job.state == JobState::Failed);
  CHECK_THAT(job.error, Catch::StartsWith("desk: refused \".bashrc\""));
}

TEST_CASE("a runner's usage is counted as borrowed from it", "[exec_client]") {
  Fixture f;
  f.selfExec = false;
  f.addPeer("pi4", 3);
  Pipe out, err;
  Job& job = *f.client->submit(f.request({"echo"}, out, err)).value();
  f.accept("fp-pi4", job.id);
  f.answer("fp-pi4", FrameType::ExecUsage, encode(UsageMsg{job.id, 2'500'000, 0}));
  CHECK(f.borrowedCoreS["fp-pi4"] == Approx(2.5));
}

TEST_CASE("a command waits while every willing node is full", "[exec_client]") {
  Fixture f;
  f.selfExec = false;
  f.addPeer("pi4", 3);
  f.peers[0].exec_slots = 1;
  Pipe out1, err1, out2, err2;
  Job& first = *f.client->submit(f.request({"echo"}, out1, err1)).value();
  Job& second = *f.client->submit(f.request({"echo"}, out2, err2)).value();
  CHECK(f.take(FrameType::ExecOffer).size() == 1);
  CHECK(second.state == JobState::Queued);
  f.accept("fp-pi4", first.id);
  f.answer("fp-pi4", FrameType::ExecExit, encode(ExecExitMsg{first.id, 0, 0, false, ""}));
  CHECK(first.state == JobState::Done);
  // The slot is free: the waiting command goes out.
  auto offers = f.take(FrameType::ExecOffer);
  REQUIRE(offers.size() == 1);
  CHECK(decodeExecOffer(offers[0].frame.payload)->job == second.id);
}

TEST_CASE("cancelling and shutting down release the runners", "[exec_client]") {
  Fixture f;
  f.selfExec = false;
  f.addPeer("pi4", 3);
  Pipe out1, err1, out2, err2;
  Job& first = *f.client->submit(f.request({"sleep", "9"}, out1, err1)).value();
  Job& second = *f.client->submit(f.request({"sleep", "9"}, out2, err2)).value();
  f.accept("fp-pi4", first.id);
  f.accept("fp-pi4", second.id);
  f.sent.clear();
  REQUIRE(f.jobs->cancel(first.id, "cancelled by request"));
  auto releases = f.take(FrameType::ExecRelease);
  REQUIRE(releases.size() == 1);
  CHECK(*decodeReason(releases[0].frame.payload) == ReasonMsg{first.id, "cancelled by request"});
  CHECK(first.state == JobState::Cancelled);
  CHECK(out1.atEnd());
  f.client->shutdown("stopping");
  releases = f.take(FrameType::ExecRelease);
  REQUIRE(releases.size() == 1);
  CHECK(*decodeReason(releases[0].frame.payload) == ReasonMsg{second.id, "its node is stopping"});
  CHECK(second.state == JobState::Cancelled);
  CHECK(second.error == "desk is stopping");
  CHECK(f.client->active() == 0);
}

TEST_CASE("a submitter that goes away cancels its job", "[exec_client]") {
  Fixture f;
  Pipe out, err;
  std::signal(SIGPIPE, SIG_IGN);  // as vestad does: the write fails with EPIPE instead
  Job& job = *f.client->submit(f.request({"echo"}, out, err)).value();
  f.accept("", job.id);
  ::close(out.read);
  out.read = -1;
  f.answer("", FrameType::Output, encode(OutputMsg{job.id, OutputStream::Stdout, bytesOf("x")}));
  CHECK(job.state == JobState::Cancelled);
  auto releases = f.take(FrameType::ExecRelease);
  REQUIRE(releases.size() == 1);
  CHECK(decodeReason(releases[0].frame.payload)->reason ==
        "the vesta exec that submitted it went away");
}

TEST_CASE("a request that contradicts itself is refused before it is queued", "[exec_client]") {
  Fixture f;
  Pipe out, err;
  auto req = f.request({"echo"}, out, err);
  req.local = true;
  req.on = "pi4";
  auto r = f.client->submit(std::move(req));
  REQUIRE_FALSE(r);
  CHECK(r.error() == "on and local contradict each other; give one");
  CHECK(out.atEnd());  // its pipes are closed
  CHECK(f.sent.empty());
}

TEST_CASE("a command its runner pauses shows as paused, with why, and runs again",
          "[exec_client]") {
  Fixture f;
  f.selfExec = false;
  f.addPeer("pi4", 3);
  Pipe out, err;
  Job& job = *f.client->submit(f.request({"sleep", "60"}, out, err)).value();
  f.accept("fp-pi4", job.id);
  auto state = [&](bool paused, const std::string& why) {
    Bytes data{static_cast<uint8_t>(paused)};
    data.insert(data.end(), why.begin(), why.end());
    f.answer("fp-pi4", FrameType::Output, encode(OutputMsg{job.id, OutputStream::State, data}));
  };
  state(true, "the owner needs the cores (owner 2.0 cores, lending 0.0 of 1.5 offered)");
  CHECK(job.state == JobState::Paused);
  CHECK(job.pauseReason ==
        "the owner needs the cores (owner 2.0 cores, lending 0.0 of 1.5 offered)");
  auto flows = f.client->flows();
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].paused == job.pauseReason);
  CHECK(f.take(FrameType::OutputCredit).empty());  // not output: nothing to credit
  CHECK(out.drain().empty());
  state(false, "");
  CHECK(job.state == JobState::Running);
  CHECK(f.client->flows()[0].paused.empty());
}

TEST_CASE("a command its runner stopped for its owner fails with the runner's reason",
          "[exec_client]") {
  Fixture f;
  f.selfExec = false;
  f.addPeer("pi4", 3);
  Pipe out, err;
  Job& job = *f.client->submit(f.request({"sleep", "60"}, out, err)).value();
  f.accept("fp-pi4", job.id);
  f.answer("fp-pi4", FrameType::ExecExit,
           encode(ExecExitMsg{job.id, 143, 15, false,
                              "pi4: paused 600 s for the owner (max_pause_s); run it elsewhere"}));
  CHECK(job.state == JobState::Failed);
  CHECK(job.exitStatus == 143);
  CHECK(job.error == "pi4: paused 600 s for the owner (max_pause_s); run it elsewhere");
}
