// What a confined job may signal, on real processes: its own, never a process outside the job
// (vestad, the spawner, the owner's programs: all the same user). Landlock confines signals from
// ABI 6 (Linux 6.12); on an older kernel the test says so and checks nothing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "shell_job.h"

using namespace vesta;

TEST_CASE("a confined job may signal its own processes, and none outside the job", "[spawn]") {
  if (landlockAbi() < 6) {
    WARN("Landlock below ABI 6 here, signals are not confined: " + confinementSummary());
    return;
  }
  // This test's process stands for vestad: same user, outside the job.
  std::string outside = std::to_string(::getpid());
  ShellJob job("if kill -0 " + outside +
               " 2>/dev/null; then echo outside-ok; else echo outside-refused; fi;"
               "sleep 30 & if kill $! 2>/dev/null; then echo own-ok; else echo own-refused; fi");
  std::string said = job.readAll();
  job.wait();
  CHECK(said.find("outside-refused") != std::string::npos);
  CHECK(said.find("own-ok") != std::string::npos);
  CHECK(confinementSummary().find("signals only to its own processes") != std::string::npos);
}
