// TermThenKill on a real loop with real confined processes: a command that stops on SIGTERM
// ends by it; one that ignores SIGTERM is killed, whole, when the grace period is over.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "shell_job.h"

using namespace vesta;

namespace {

// Starts `script` under sh, waits for it to say "ready", stops it with TermThenKill, and
// returns the signal its reaper died of.
int stopAndReap(const std::string& script, uint64_t graceMs) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ShellJob job(script + "; echo ready; exec sleep 1000");
  // Blocks until the script has set up its signal handling, however long that takes here.
  REQUIRE(job.readUntil("ready").find("ready") != std::string::npos);

  std::optional<TermThenKill> stop;
  stop.emplace(&loop, job.reaper, graceMs);
  bool exited = false;
  {
    // Only for a broken TermThenKill: the job would otherwise run on; killed, it fails the test.
    uv::Timer guard(&loop);
    pid_t pid = job.reaper;
    guard.start(60'000, 0, [pid] { killJob(pid); });
    uv::Poll reaped(&loop, job.pidfd.get());
    reaped.start(UV_READABLE, [&](int, int) {
      exited = true;
      reaped.stop();
    });
    while (!exited) uv_run(&loop, UV_RUN_ONCE);
  }
  int status = job.wait();
  stop.reset();  // reaped: the pending kill, if any, is cancelled
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  REQUIRE(WIFSIGNALED(status));
  return WTERMSIG(status);
}

}  // namespace

TEST_CASE("TermThenKill: a command that heeds SIGTERM ends by it, before any kill", "[spawn]") {
  // An hour's grace: only SIGTERM can end it (the guard's kill would show as SIGKILL).
  CHECK(stopAndReap("true", 3'600'000) == SIGTERM);
}

TEST_CASE("TermThenKill: a command that ignores SIGTERM is killed after the grace period",
          "[spawn]") {
  CHECK(stopAndReap("trap '' TERM", 0) == SIGKILL);
}
