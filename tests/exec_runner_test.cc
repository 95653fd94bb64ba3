// The exec runner with a real loop, real confined child processes (/bin/echo, /bin/cat,
// /bin/sleep, /usr/bin/head: never a shell) and a state directory of its own; the coordinators
// are played by the test, which sends the frames a coordinator would and reads the answers.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <vector>

#include "exec_runner.h"
#include "proto.h"
#include "sent_frames.h"
#include "sha256.h"

using namespace vesta;

namespace {

Digest digestOf(const std::string& text) {
  Sha256 h;
  h.update({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  return h.final();
}

Bytes bytesOf(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

struct Fixture {
  uv_loop_t loop;
  Config config;
  std::string stateDir;
  std::unique_ptr<ExecRunner> runner;
  std::vector<Sent> sent;
  NodeStatus status;
  std::string capped;  // non-empty: the ledger's gate says no, with this text
  std::map<std::string, double> lentCoreS;
  uint64_t clockMs = 1000;

  Fixture() {
    uv_loop_init(&loop);
    char tmpl[] = "/tmp/vesta-runner-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    stateDir = tmpl;
    config.name = "desk";
    config.allow_exec = true;
    status.cores = 4;
    status.cpu = 0.1;
    status.budget.cores = 2.8;  // min(3 offered, 3.2 - 0.4 busy): what admission reads
    make();
  }
  void make() {
    runner.reset();
    ExecRunner::Hooks hooks{[this](const std::string& fp, const Frame& f) {
                              sent.push_back({fp, f});
                              return true;
                            },
                            [](const std::string& fp) { return "name-of-" + fp; },
                            [this]() -> const NodeStatus& { return status; },
                            [this](const std::string&, std::string* why) {
                              if (capped.empty()) return true;
                              *why = capped;
                              return false;
                            },
                            [this](const std::string& fp, const std::string&, double core, double,
                                   bool) { lentCoreS[fp] += core; },
                            [this] { return clockMs; }};
    runner = std::make_unique<ExecRunner>(&loop, config, stateDir, hooks);
  }
  static ExecOfferMsg command(uint64_t job, std::vector<std::string> argv) {
    ExecOfferMsg m;
    m.job = job;
    m.argv = std::move(argv);
    return m;
  }
  void offer(const std::string& fp, const ExecOfferMsg& m) {
    runner->onFrame(fp, {FrameType::ExecOffer, encode(m)});
  }
  std::vector<Sent> take(FrameType type) { return takeFrames(sent, type); }
  bool has(FrameType type) const { return hasFrame(sent, type); }
  RefuseMsg onlyRefusal() {
    auto refusals = take(FrameType::ExecRefuse);
    REQUIRE(refusals.size() == 1);
    CHECK(take(FrameType::ExecAccept).empty());
    CHECK(runner->active() == 0);
    return *decodeRefuse(refusals[0].frame.payload);
  }
  // The output of stream `stream` sent so far to `fp`, taken out of `sent`.
  std::string output(const std::string& fp, OutputStream stream) {
    std::string out;
    std::vector<Sent> rest;
    for (auto& s : sent) {
      if (s.frame.type == FrameType::Output && s.to == fp) {
        auto m = *decodeOutput(s.frame.payload);
        if (m.stream == stream) {
          out.append(m.data.begin(), m.data.end());
          continue;
        }
      }
      rest.push_back(s);
    }
    sent = rest;
    return out;
  }
  ExecExitMsg waitExit(const std::string& fp) {
    runUntil([&] { return has(FrameType::ExecExit); });
    auto exits = take(FrameType::ExecExit);
    REQUIRE(exits.size() == 1);
    CHECK(exits[0].to == fp);
    return *decodeExecExit(exits[0].frame.payload);
  }
  template <typename Pred>
  void runUntil(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop, UV_RUN_NOWAIT);
      runner->tick();
    }
    REQUIRE(done());
  }
  ~Fixture() {
    runner->shutdown("is stopping");
    runner->tick();
    runner.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    std::error_code ec;
    std::filesystem::remove_all(stateDir, ec);
  }
};

}  // namespace

TEST_CASE("a command runs, streams its output and reports its exit", "[exec_runner]") {
  Fixture f;
  f.offer("", Fixture::command(1, {"/bin/echo", "hello", "world"}));
  auto accepts = f.take(FrameType::ExecAccept);
  REQUIRE(accepts.size() == 1);
  CHECK(decodeExecAccept(accepts[0].frame.payload)->missing.empty());
  auto exit = f.waitExit("");
  CHECK(exit.job == 1);
  CHECK(exit.status == 0);
  CHECK(exit.error.empty());
  CHECK(f.output("", OutputStream::Stdout) == "hello world\n");
  // This node's own command is not lent: no usage, no ledger entry.
  CHECK(f.take(FrameType::ExecUsage).empty());
  CHECK(f.lentCoreS.empty());
  f.runUntil([&] { return f.runner->active() == 0; });
}

TEST_CASE("a peer's command is counted as lent and its exit status passed on", "[exec_runner]") {
  Fixture f;
  f.offer("fp-a", Fixture::command(3, {"cat", "/nonexistent-file"}));
  auto exit = f.waitExit("fp-a");
  CHECK(exit.status == 1);
  CHECK_THAT(f.output("fp-a", OutputStream::Stderr), Catch::Contains("/nonexistent-file"));
  CHECK(f.take(FrameType::ExecUsage).size() == 1);
  CHECK(f.lentCoreS.count("fp-a") == 1);
  auto flows = f.runner->flows();
  CHECK(flows.empty());
}

TEST_CASE("exec offers are refused with a reason for each cause", "[exec_runner]") {
  Fixture f;
  auto echo = Fixture::command(1, {"echo", "x"});
  SECTION("exec is off") {
    f.config.allow_exec = false;
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::NotPermitted);
    CHECK(r.reason == "desk: exec is off there (allow_exec)");
  }
  SECTION("not on the allowlist") {
    f.config.exec_allowlist = {"make"};
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::NotAllowlisted);
    CHECK_THAT(r.reason, Catch::StartsWith("desk: "));
  }
  SECTION("no such program") {
    f.offer("fp-a", Fixture::command(1, {"no-such-program-here"}));
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::NoProgram);
    CHECK_THAT(r.reason, Catch::StartsWith("desk: "));
  }
  SECTION("a relative program that was not shipped") {
    f.offer("fp-a", Fixture::command(1, {"./tool"}));
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::NoProgram);
    CHECK(r.reason == "desk: ./tool is not among the shipped files (--put it)");
  }
  SECTION("power") {
    f.status.power.willingness = 0;
    f.status.power.reason = "on battery";
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Power);
    CHECK(r.reason == "desk lends nothing now (on battery)");
  }
  SECTION("the borrowing cap") {
    f.capped = "capped";
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Capped);
    CHECK(r.reason == "desk: capped");
  }
  SECTION("busy") {
    f.status.cpu = 1.0;
    f.status.budget.cores = 0;  // the owner's load leaves no budget
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Busy);
    CHECK(r.reason == "desk is busy: 100% CPU");
  }
  SECTION("more memory than offered") {
    echo.mem_mb = f.config.mem_offer_mb + 1;
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Memory);
    CHECK(r.reason == "desk: 1025 MiB is more than its mem_offer_mb 1024 MiB");
  }
  SECTION("shipped files larger than the cache") {
    echo.files = {{"big", digestOf("big"), uint64_t{2} << 30, false}};
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::NoDisk);
    CHECK_THAT(r.reason, Catch::StartsWith("desk"));
  }
  SECTION("stopping") {
    f.runner->shutdown("is stopping");
    f.offer("fp-a", echo);
    auto r = f.onlyRefusal();
    CHECK(r.code == RefuseCode::Other);
    CHECK(r.reason == "desk is stopping");
  }
}

TEST_CASE("this node's own command skips the lending checks", "[exec_runner]") {
  Fixture f;
  f.status.cpu = 1.0;
  f.capped = "capped";
  f.offer("", Fixture::command(1, {"/bin/echo"}));
  CHECK(f.take(FrameType::ExecAccept).size() == 1);
  CHECK(f.waitExit("").status == 0);
}

TEST_CASE("output stops when its credit is spent and resumes on Credit", "[exec_runner]") {
  Fixture f;
  const uint64_t total = 3 * kStreamWindow + 12345;
  f.offer("fp-a", Fixture::command(1, {"head", "-c", std::to_string(total), "/dev/zero"}));
  uint64_t got = 0;
  auto drain = [&] {
    uint64_t n = f.output("fp-a", OutputStream::Stdout).size();
    got += n;
    return n;
  };
  uint64_t credited = 0;
  while (got < total) {
    // Without credit the runner sends at most one window beyond what was credited.
    f.runUntil([&] {
      drain();
      return got == credited + kStreamWindow || got == total;
    });
    if (got == total) break;
    for (int i = 0; i < 20; ++i) uv_run(&f.loop, UV_RUN_NOWAIT);
    drain();
    REQUIRE(got == credited + kStreamWindow);
    CHECK_FALSE(f.has(FrameType::ExecExit));
    uint64_t now = got - credited;
    f.runner->onFrame("fp-a", {FrameType::OutputCredit, encode(CreditMsg{1, true, now})});
    credited += now;
  }
  CHECK(got == total);
  CHECK(f.waitExit("fp-a").status == 0);
}

TEST_CASE("a --put file arrives in pieces, under file credit, before the command runs",
          "[exec_runner]") {
  Fixture f;
  std::string content(300 * 1024, 'a');
  content += "the end\n";
  auto m = Fixture::command(1, {"/bin/cat", "in.txt"});
  m.files = {{"in.txt", digestOf(content), content.size(), false}};
  f.offer("fp-a", m);
  auto accepts = f.take(FrameType::ExecAccept);
  REQUIRE(accepts.size() == 1);
  REQUIRE(decodeExecAccept(accepts[0].frame.payload)->missing ==
          std::vector<Digest>{digestOf(content)});
  size_t half = content.size() / 2;
  f.runner->onFrame(
      "fp-a", {FrameType::FileData,
               encode(FileDataMsg{1, digestOf(content), 0, bytesOf(content.substr(0, half))})});
  CHECK_FALSE(f.has(FrameType::Output));  // not started before its files are whole
  f.runner->onFrame(
      "fp-a", {FrameType::FileData,
               encode(FileDataMsg{1, digestOf(content), half, bytesOf(content.substr(half))})});
  uint64_t fileCredit = 0;
  for (auto& s : f.take(FrameType::FileCredit)) {
    auto c = *decodeCredit(s.frame.payload);
    CHECK_FALSE(c.for_output);
    fileCredit += c.bytes;
  }
  CHECK(fileCredit == content.size());
  CHECK(f.waitExit("fp-a").status == 0);
  CHECK(f.output("fp-a", OutputStream::Stdout) == content);

  // The same file again is found in the cache: nothing is asked for.
  f.runUntil([&] { return f.runner->active() == 0; });
  m.job = 2;
  f.offer("fp-a", m);
  accepts = f.take(FrameType::ExecAccept);
  REQUIRE(accepts.size() == 1);
  CHECK(decodeExecAccept(accepts[0].frame.payload)->missing.empty());
  CHECK(f.waitExit("fp-a").status == 0);
  CHECK(f.output("fp-a", OutputStream::Stdout) == content);
}

TEST_CASE("file data beyond what was asked is refused", "[exec_runner]") {
  Fixture f;
  auto m = Fixture::command(1, {"/bin/cat", "in.txt"});
  m.files = {{"in.txt", digestOf("abcd"), 4, false}};
  f.offer("fp-a", m);
  REQUIRE(f.take(FrameType::ExecAccept).size() == 1);
  SECTION("a file nobody asked for is dropped") {
    f.runner->onFrame("fp-a", {FrameType::FileData,
                               encode(FileDataMsg{1, digestOf("other"), 0, bytesOf("other")})});
    CHECK(f.sent.empty());
    CHECK(f.runner->active() == 1);
  }
  SECTION("more bytes than announced end the job") {
    f.runner->onFrame("fp-a", {FrameType::FileData,
                               encode(FileDataMsg{1, digestOf("abcd"), 0, bytesOf("abcdefgh")})});
    auto exit = f.waitExit("fp-a");
    CHECK(exit.status == -1);
    CHECK(exit.error == "desk: file longer than its announced 4 bytes");
  }
}

TEST_CASE("Release stops a running command without reporting its exit", "[exec_runner]") {
  Fixture f;
  f.offer("fp-a", Fixture::command(1, {"/bin/sleep", "600"}));
  REQUIRE(f.take(FrameType::ExecAccept).size() == 1);
  CHECK(f.runner->borrowedRunning() == 1);
  f.runner->onFrame("fp-a", {FrameType::ExecRelease, encode(ReasonMsg{1, "cancelled"})});
  f.runUntil([&] { return f.runner->active() == 0; });
  CHECK_FALSE(f.has(FrameType::ExecExit));
  CHECK(f.runner->borrowedRunning() == 0);
}

TEST_CASE("a link going down stops only that peer's commands", "[exec_runner]") {
  Fixture f;
  f.offer("fp-a", Fixture::command(1, {"/bin/sleep", "600"}));
  f.offer("fp-b", Fixture::command(1, {"/bin/sleep", "600"}));
  f.offer("fp-a", Fixture::command(2, {"/bin/sleep", "600"}));
  REQUIRE(f.runner->active() == 3);
  f.clockMs += 1500;
  auto flows = f.runner->flows();
  REQUIRE(flows.size() == 3);
  CHECK(flows[0].elapsedMs == 1500);
  f.runner->onLinkDown("fp-a");
  f.runUntil([&] { return f.runner->active() == 1; });
  flows = f.runner->flows();
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].peerFingerprint == "fp-b");
  CHECK(f.take(FrameType::ExecExit).empty());
}

TEST_CASE("shutdown tells every coordinator and ends every command", "[exec_runner]") {
  Fixture f;
  f.offer("fp-a", Fixture::command(1, {"/bin/sleep", "600"}));
  f.offer("", Fixture::command(5, {"/bin/sleep", "600"}));
  f.runner->shutdown("is stopping");
  CHECK(f.runner->active() == 0);
  auto exits = f.take(FrameType::ExecExit);
  REQUIRE(exits.size() == 2);
  std::map<std::string, ExecExitMsg> by;
  for (auto& s : exits) by[s.to] = *decodeExecExit(s.frame.payload);
  CHECK(by["fp-a"] == ExecExitMsg{1, -1, 0, false, "desk is stopping"});
  CHECK(by[""] == ExecExitMsg{5, -1, 0, false, "desk is stopping"});
}

TEST_CASE("a command past its timeout is stopped and reported as timed out", "[exec_runner]") {
  Fixture f;
  auto m = Fixture::command(1, {"/bin/sleep", "600"});
  m.timeout_ms = 1;
  f.offer("fp-a", m);
  auto exit = f.waitExit("fp-a");
  CHECK(exit.timed_out);
  CHECK(exit.status == 124);
  CHECK(exit.error == "timed out after 0.0 s");
}

TEST_CASE("--get files come back as records on the files stream", "[exec_runner]") {
  Fixture f;
  std::string content = "shipped\n";
  auto m = Fixture::command(1, {"/bin/echo", "x"});
  m.files = {{"out.txt", digestOf(content), content.size(), false}};
  m.gets = {"*.txt"};
  f.offer("fp-a", m);
  f.runner->onFrame("fp-a", {FrameType::FileData,
                             encode(FileDataMsg{1, digestOf(content), 0, bytesOf(content)})});
  CHECK(f.waitExit("fp-a").status == 0);
  std::string files = f.output("fp-a", OutputStream::Files);
  Bytes header = encodeFileRecordHeader({"out.txt", content.size()});
  CHECK(files == std::string(header.begin(), header.end()) + content);
}
