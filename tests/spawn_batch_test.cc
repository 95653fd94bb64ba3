// A batch's reaper on real processes: each command's output and end come back as its own
// records, in order; what a command leaves running is killed before the next starts, so its
// late output is never taken for the next command's; a command that cannot start is said so
// and the batch goes on; a cancel (SIGTERM) lets the running command end and starts no more.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "batch_stream.h"
#include "shell_job.h"

using namespace vesta;

namespace {

std::vector<std::string> sh(const std::string& script) {
  return {"sh", "-c", script};
}

// Runs the scripts as one batch; the parsed records and the reaper's wait status.
struct BatchRun {
  BatchStreamParser parser;
  int status = 0;
  std::string error;
  explicit BatchRun(const std::vector<std::string>& scripts, bool cancelAtFirstLine = false)
      : parser(scripts.size()) {
    ShellJob job(scripts[0], [&](SpawnSpec& spec) {
      spec.framed = true;
      for (size_t i = 1; i < scripts.size(); ++i) spec.batch.push_back(sh(scripts[i]));
    });
    std::string all;
    char buf[4096];
    for (ssize_t n; (n = ::read(job.out.get(), buf, sizeof buf)) > 0;) {
      auto ok = parser.feed({reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(n)});
      if (!ok) error = ok.error();
      if (cancelAtFirstLine && !parser.outcomes()[0].out.empty()) {
        ::kill(-job.reaper, SIGTERM);  // as vestad cancels: to the job's process group
        cancelAtFirstLine = false;
      }
    }
    status = job.wait();
  }
};

}  // namespace

TEST_CASE("a batch's commands each get their own output and end", "[spawn]") {
  BatchRun run({"echo one; echo warn >&2; exit 3",
                // It leaves a child that would print after it ended, into the pipe it holds.
                "(sleep 1; echo late) & echo early", "echo next; kill -9 $$", "pwd; echo \"$0 $1\"",
                ""});
  REQUIRE(run.error.empty());
  REQUIRE(run.parser.finished() == 5);
  CHECK(run.parser.idle());
  auto& o = run.parser.outcomes();
  CHECK(o[0].out == "one\n");
  CHECK(o[0].err == "warn\n");
  CHECK(WIFEXITED(o[0].waitStatus));
  CHECK(WEXITSTATUS(o[0].waitStatus) == 3);
  CHECK(o[1].out == "early\n");  // "late" was killed with what it left
  CHECK(WEXITSTATUS(o[1].waitStatus) == 0);
  CHECK(o[2].out == "next\n");
  CHECK(WIFSIGNALED(o[2].waitStatus));
  CHECK(WTERMSIG(o[2].waitStatus) == SIGKILL);
  CHECK(o[3].out.find('/') == 0);  // in the scratch directory
  CHECK(o[4].out.empty());
  CHECK(o[4].ended);
  CHECK(o[3].startOffsetUs >= o[2].startOffsetUs);
  CHECK(WIFEXITED(run.status));
  CHECK(WEXITSTATUS(run.status) == 0);
}

TEST_CASE("a batch command that cannot start is said so and the batch goes on", "[spawn]") {
  BatchStreamParser parser(2);
  ShellJob job("unused", [&](SpawnSpec& spec) {
    spec.program = "/bin/sh";
    spec.framed = true;
    spec.batch = {sh("echo second")};
    // Its program is a directory: no command of the batch can start.
    spec.program = spec.cwd;
  });
  std::string all = job.readAll();
  REQUIRE(parser.feed({reinterpret_cast<const uint8_t*>(all.data()), all.size()}));
  REQUIRE(parser.finished() == 2);
  CHECK(parser.outcomes()[0].notStarted);
  CHECK(parser.outcomes()[0].execErrno == EACCES);
  CHECK(parser.outcomes()[0].startStep == kStartStepExec);
  CHECK(parser.outcomes()[1].notStarted);  // one program for the whole batch
  job.wait();
}

TEST_CASE("a cancelled batch ends its running command and starts no more", "[spawn]") {
  BatchRun run({"echo started; sleep 30", "echo never"}, true);
  REQUIRE(run.error.empty());
  CHECK(run.parser.finished() == 1);
  auto& o = run.parser.outcomes();
  CHECK_FALSE(o[1].started);  // told apart from one that was running when the batch ended
  CHECK(WIFSIGNALED(o[0].waitStatus));
  CHECK(WTERMSIG(o[0].waitStatus) == SIGTERM);
  CHECK(o[1].out.empty());
  CHECK(WIFEXITED(run.status));
  CHECK(WEXITSTATUS(run.status) == 128 + SIGTERM);
}
