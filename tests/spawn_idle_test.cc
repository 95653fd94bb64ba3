// A peer's command at SCHED_IDLE, on a real process: the command and what it starts are idle
// priority, its reaper (vestad's part of the job: starting and reaping it) only niced.
#include <sched.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "proc_pid_stat.h"
#include "shell_job.h"

using namespace vesta;

namespace {

// The scheduling policy in a /proc/PID/stat line; -1 when the line does not parse.
int policyOf(const std::string& stat) {
  auto parsed = parseProcPidStat(stat);
  return parsed ? static_cast<int>(parsed->policy) : -1;
}

}  // namespace

TEST_CASE("a borrowed command runs at SCHED_IDLE and its reaper does not", "[spawn]") {
  // The command's parent is the reaper; a child of the command inherits its policy.
  ShellJob job("cat /proc/$PPID/stat; cat /proc/$$/stat; (cat /proc/self/stat)",
               [](SpawnSpec& spec) {
                 spec.idle = true;
                 spec.nice = 10;
               });
  std::string said = job.readAll();
  int status = job.wait();
  CHECK(WIFEXITED(status));
  std::istringstream lines(said);
  std::string reaper, command, child;
  REQUIRE(std::getline(lines, reaper));
  REQUIRE(std::getline(lines, command));
  REQUIRE(std::getline(lines, child));
  CHECK(std::stoi(reaper) == job.reaper);
  CHECK(policyOf(reaper) == SCHED_OTHER);
  CHECK(policyOf(command) == SCHED_IDLE);
  CHECK(policyOf(child) == SCHED_IDLE);
}
