// A peer's command at SCHED_IDLE, on a real process: the command and what it starts are idle
// priority, its reaper (vestad's part of the job: starting and reaping it) only niced.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "proc_pid_stat.h"
#include "spawn.h"
#include "test_util.h"
#include "unique_fd.h"

using namespace vesta;

namespace {

// The scheduling policy in a /proc/PID/stat line; -1 when the line does not parse.
int policyOf(const std::string& stat) {
  auto parsed = parseProcPidStat(stat);
  return parsed ? static_cast<int>(parsed->policy) : -1;
}

}  // namespace

TEST_CASE("a borrowed command runs at SCHED_IDLE and its reaper does not", "[spawn]") {
  TempDir dir;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd out(fds[0]), in(fds[1]);
  SpawnSpec spec;
  spec.program = "/bin/sh";
  // The command's parent is the reaper; a child of the command inherits its policy.
  spec.argv = {"sh", "-c", "cat /proc/$PPID/stat; cat /proc/$$/stat; (cat /proc/self/stat)"};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.cwd = dir.path;
  spec.idle = true;
  spec.nice = 10;
  spec.stdoutFd = spec.stderrFd = in.get();
  auto spawned = spawnConfined(spec);
  REQUIRE(spawned);
  UniqueFd pidfd(spawned->pidfd);
  in.reset();
  std::string said;
  char buf[4096];
  for (ssize_t n; (n = ::read(out.get(), buf, sizeof buf)) > 0;)
    said.append(buf, static_cast<size_t>(n));
  int status = 0;
  REQUIRE(::waitpid(spawned->pid, &status, 0) == spawned->pid);
  CHECK(WIFEXITED(status));
  std::istringstream lines(said);
  std::string reaper, command, child;
  REQUIRE(std::getline(lines, reaper));
  REQUIRE(std::getline(lines, command));
  REQUIRE(std::getline(lines, child));
  CHECK(std::stoi(reaper) == spawned->pid);
  CHECK(policyOf(reaper) == SCHED_OTHER);
  CHECK(policyOf(command) == SCHED_IDLE);
  CHECK(policyOf(child) == SCHED_IDLE);
}
