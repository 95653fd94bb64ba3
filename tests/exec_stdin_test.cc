// A command's stdin through the exec runner and the stdin relay (daemon/stdin_relay), on a real
// loop with real pipes and real confined commands (/bin/cat, /bin/sleep): the bytes arrive whole
// and end with EOF, the runner takes no more than the credit it granted, and a submitter takes
// no credit for bytes it never sent.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "exec_client.h"
#include "exec_runner.h"
#include "sent_frames.h"
#include "stdin_relay.h"

using namespace vesta;

namespace {

struct Loop {
  uv_loop_t loop;
  Loop() { uv_loop_init(&loop); }
  template <typename Pred>
  void runUntil(Pred done, std::function<void()> each = {}) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop, UV_RUN_NOWAIT);
      if (each) each();
    }
    REQUIRE(done());
  }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
};

struct RunnerFixture : Loop {
  Config config;
  std::string stateDir;
  std::unique_ptr<ExecRunner> runner;
  std::vector<Sent> sent;
  NodeStatus status;

  RunnerFixture() {
    char tmpl[] = "/tmp/vesta-stdin-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    stateDir = tmpl;
    config.name = "desk";
    config.allow_exec = true;
    status.cores = 4;
    ExecRunner::Hooks hooks{[this](const std::string& fp, const Frame& f) {
                              sent.push_back({fp, f});
                              return true;
                            },
                            [](const std::string& fp) { return "name-of-" + fp; },
                            [this]() -> const NodeStatus& { return status; },
                            [](const std::string&, std::string*) { return true; },
                            [](const std::string&, const std::string&, double, double, bool) {},
                            [] { return uint64_t{1000}; }};
    runner = std::make_unique<ExecRunner>(&loop, config, stateDir, hooks);
  }
  void offer(uint64_t job, std::vector<std::string> argv, bool piped) {
    ExecOfferMsg m;
    m.job = job;
    m.argv = std::move(argv);
    m.stdin_piped = piped;
    runner->onFrame("", {FrameType::ExecOffer, encode(m)});
    REQUIRE(takeFrames(sent, FrameType::ExecAccept).size() == 1);
  }
  void stdinPiece(uint64_t job, const std::string& text, bool eof) {
    runner->onFrame(
        "", {FrameType::ExecStdin, encode(StdinMsg{job, eof, Bytes(text.begin(), text.end())})});
  }
  ExecExitMsg waitExit() {
    runUntil([&] { return hasFrame(sent, FrameType::ExecExit); }, [&] { runner->tick(); });
    auto exits = takeFrames(sent, FrameType::ExecExit);
    REQUIRE(exits.size() == 1);
    return *decodeExecExit(exits[0].frame.payload);
  }
  std::string stdoutSent() {
    std::string out;
    for (auto& s : takeFrames(sent, FrameType::Output)) {
      auto m = *decodeOutput(s.frame.payload);
      if (m.stream == OutputStream::Stdout) out.append(m.data.begin(), m.data.end());
    }
    return out;
  }
  uint64_t creditSent(bool* closed = nullptr) {
    uint64_t n = 0;
    for (auto& s : takeFrames(sent, FrameType::StdinCredit)) {
      auto m = *decodeStdinCredit(s.frame.payload);
      n += m.bytes;
      if (closed && m.closed) *closed = true;
    }
    return n;
  }
  ~RunnerFixture() {
    runner->shutdown("is stopping");
    runner->tick();
    runner.reset();
    std::error_code ec;
    std::filesystem::remove_all(stateDir, ec);
  }
};

}  // namespace

TEST_CASE("stdin reaches the command whole, and its end closes the command's stdin",
          "[exec_runner][stdin]") {
  RunnerFixture f;
  f.offer(1, {"/bin/cat"}, true);
  std::string text(300000, 'x');
  text += "the end\n";
  // In frame-sized pieces, the last with the end flag: cat exits only at EOF.
  for (size_t at = 0; at < text.size(); at += kMaxDataPiece)
    f.stdinPiece(1, text.substr(at, kMaxDataPiece), at + kMaxDataPiece >= text.size());
  auto exit = f.waitExit();
  CHECK(exit.status == 0);
  CHECK(f.stdoutSent() == text);
  CHECK(f.creditSent() == text.size());  // every byte written was credited back
}

TEST_CASE("a command offered without stdin reads /dev/null", "[exec_runner][stdin]") {
  RunnerFixture f;
  f.offer(1, {"/bin/cat"}, false);
  CHECK(f.waitExit().status == 0);
  CHECK(f.stdoutSent().empty());
}

TEST_CASE("the runner takes no stdin beyond the credit it granted", "[exec_runner][stdin]") {
  RunnerFixture f;
  // sleep never reads: nothing is written, so no credit comes back.
  f.offer(1, {"/bin/sleep", "30"}, true);
  std::string piece(kMaxDataPiece, 'a');
  for (uint64_t sentBytes = 0; sentBytes < kStreamWindow; sentBytes += piece.size())
    f.stdinPiece(1, piece, false);
  CHECK(f.runner->active() == 1);  // a whole window is within the credit
  f.stdinPiece(1, "b", false);     // one byte more is not
  auto exit = f.waitExit();
  CHECK(exit.status == -1);
  CHECK_THAT(exit.error, Catch::Contains("of credit left"));
}

TEST_CASE("stdin for a command offered without it ends the command", "[exec_runner][stdin]") {
  RunnerFixture f;
  f.offer(1, {"/bin/sleep", "30"}, false);
  f.stdinPiece(1, "unasked", false);
  auto exit = f.waitExit();
  CHECK(exit.status == -1);
  CHECK_THAT(exit.error, Catch::Contains("offered without it"));
}

TEST_CASE("stdin arriving after the command ended is dropped", "[exec_runner][stdin]") {
  RunnerFixture f;
  f.offer(1, {"/bin/true"}, true);
  CHECK(f.waitExit().status == 0);
  f.sent.clear();
  f.runner->tick();
  f.stdinPiece(1, "late", false);  // in flight when the command ended: no answer, no error
  for (int i = 0; i < 10; ++i) uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(f.sent.empty());
}

namespace {

// The exec client with one peer, pi4, that takes every command: the test plays pi4's runner.
struct ClientFixture : Loop {
  Config config;
  JobTable jobs{"desk", [](const Job&, JobChange) {}};
  std::unique_ptr<ExecClient> client;
  std::vector<Sent> sent;
  int stdinWrite = -1;  // the submitter's end of the stdin pipe

  ClientFixture() {
    config.name = "desk";
    ExecClient::Hooks hooks{[] {
                              NodeView pi4;
                              pi4.name = "pi4";
                              pi4.fingerprint = "fp-pi4";
                              pi4.cores = 4;
                              pi4.spare_cores = 3;
                              pi4.exec.allow_exec = true;
                              pi4.exec_slots = 2;
                              return std::vector<NodeView>{pi4};
                            },
                            [this](const std::string& fp, const Frame& f) {
                              sent.push_back({fp, f});
                              return true;
                            },
                            [](const std::string&, double, double) {}, [] {},
                            [] { return uint64_t{1000}; }};
    client = std::make_unique<ExecClient>(&loop, config, jobs, hooks);
    jobs.setCanceller([this](Job& j, const std::string& why) { client->cancel(j, why); });
  }
  Job& submitWithStdin() {
    int out[2], in[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    outRead.reset(out[0]);
    ExecClient::Request r;
    r.argv = {"cat"};
    r.out.reset(out[1]);
    r.err.reset(::dup(out[1]));
    r.in.reset(in[0]);
    stdinWrite = in[1];
    auto job = client->submit(std::move(r));
    REQUIRE(job);
    auto offers = takeFrames(sent, FrameType::ExecOffer);
    REQUIRE(offers.size() == 1);
    CHECK(offers[0].to == "fp-pi4");
    CHECK(decodeExecOffer(offers[0].frame.payload)->stdin_piped);
    return **job;
  }
  void fromPi4(FrameType type, Bytes payload, const std::string& fp = "fp-pi4") {
    client->onFrame(fp, {type, std::move(payload)});
  }
  uint64_t stdinSent(bool* eof = nullptr) {
    uint64_t n = 0;
    for (auto& s : takeFrames(sent, FrameType::ExecStdin)) {
      auto m = *decodeStdin(s.frame.payload);
      n += m.data.size();
      if (eof && m.eof) *eof = true;
    }
    return n;
  }
  UniqueFd outRead;
  ~ClientFixture() {
    if (stdinWrite >= 0) ::close(stdinWrite);
    client->shutdown("test over");
    client->tick();
    client.reset();
  }
};

}  // namespace

TEST_CASE("the submitting node sends stdin once accepted, within the window, then its end",
          "[stdin]") {
  ClientFixture f;
  Job& job = f.submitWithStdin();
  std::string text = "hello\n";
  REQUIRE(::write(f.stdinWrite, text.data(), text.size()) == 6);
  for (int i = 0; i < 20; ++i) uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(f.stdinSent() == 0);  // nothing is read before the runner accepts
  f.fromPi4(FrameType::ExecAccept, encode(ExecAcceptMsg{job.id, {}}));
  f.runUntil([&] { return hasFrame(f.sent, FrameType::ExecStdin); });
  CHECK(f.stdinSent() == 6);
  ::close(f.stdinWrite);
  f.stdinWrite = -1;
  bool eof = false;
  f.runUntil([&] {
    f.stdinSent(&eof);
    return eof;
  });
}

TEST_CASE("credit for stdin never sent, or from another node, is not believed", "[stdin]") {
  ClientFixture f;
  Job& job = f.submitWithStdin();
  f.fromPi4(FrameType::ExecAccept, encode(ExecAcceptMsg{job.id, {}}));
  REQUIRE(::write(f.stdinWrite, "abc", 3) == 3);
  f.runUntil([&] { return hasFrame(f.sent, FrameType::ExecStdin); });
  CHECK(f.stdinSent() == 3);
  // Another node crediting this job: not its job, ignored.
  f.fromPi4(FrameType::StdinCredit, encode(StdinCreditMsg{job.id, 3, false}), "fp-laptop");
  CHECK(job.state == JobState::Running);
  // pi4 crediting more than was sent: the job stops, and pi4 is told.
  f.fromPi4(FrameType::StdinCredit, encode(StdinCreditMsg{job.id, 4, false}));
  CHECK(job.state == JobState::Failed);
  CHECK_THAT(job.error, Catch::Contains("credited 4 bytes of stdin with only 3 in flight"));
  CHECK(takeFrames(f.sent, FrameType::ExecRelease).size() == 1);
}

TEST_CASE("the submitter reads only under credit and refuses credit it was not owed", "[stdin]") {
  Loop l;
  int p[2];
  REQUIRE(::pipe(p) == 0);
  UniqueFd writeEnd(p[1]);
  std::vector<StdinMsg> pieces;
  {
    StdinSource source(&l.loop, 5, UniqueFd(p[0]));
    source.start([&](StdinMsg m) { pieces.push_back(std::move(m)); });
    // Two windows' worth waiting in the pipe (written from a thread-free loop: the pipe holds
    // 64 KiB, so feed it as it drains).
    std::string chunk(64 * 1024, 'z');
    uint64_t written = 0, got = 0;
    ::fcntl(p[1], F_SETFL, O_NONBLOCK);
    l.runUntil(
        [&] {
          got = 0;
          for (auto& m : pieces) got += m.data.size();
          return got >= kStreamWindow;
        },
        [&] {
          ssize_t n = ::write(p[1], chunk.data(), chunk.size());
          if (n > 0) written += static_cast<uint64_t>(n);
        });
    // No credit came back: not a byte more than the window was sent, however much waits.
    for (int i = 0; i < 100; ++i) uv_run(&l.loop, UV_RUN_NOWAIT);
    got = 0;
    for (auto& m : pieces) got += m.data.size();
    CHECK(got == kStreamWindow);
    CHECK(written > got);
    // A runner crediting more than it was sent is not believed.
    auto lie = source.credit(StdinCreditMsg{5, 1, false});
    CHECK(lie);  // 1 byte of the window back: fine
    auto tooMuch = source.credit(StdinCreditMsg{5, kStreamWindow, false});
    REQUIRE_FALSE(tooMuch);
    CHECK_THAT(tooMuch.error(), Catch::Contains("in flight"));
    // The end of the pipe is sent as the end of stdin.
    writeEnd.reset();
    source.credit(StdinCreditMsg{5, kStreamWindow - 1, false});
    l.runUntil([&] { return !pieces.empty() && pieces.back().eof; });
  }
}

TEST_CASE("the runner's sink holds at most one window", "[stdin]") {
  Loop l;
  std::vector<StdinCreditMsg> credits;
  StdinSink sink(&l.loop, 3, [&](StdinCreditMsg m) { credits.push_back(m); });
  // Not attached yet (the command's files are still arriving): pieces wait, up to the window.
  for (uint64_t n = 0; n < kStreamWindow; n += kMaxDataPiece)
    REQUIRE(sink.take(StdinMsg{3, false, Bytes(kMaxDataPiece, 1)}));
  CHECK(sink.held() == kStreamWindow);
  auto over = sink.take(StdinMsg{3, false, Bytes(1, 1)});
  REQUIRE_FALSE(over);
  CHECK_THAT(over.error(), Catch::Contains("0 of credit left"));
  CHECK(credits.empty());
}
