// daemon/job_callers: which D-Bus calls everyone may make, and, on real processes, which callers
// count as a peer's job. This test's process stands for vestad.
#include "job_callers.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace vesta;

TEST_CASE("the calls everyone may make are the bus policy's reads") {
  CHECK(isOpenCall("org.freedesktop.DBus.Properties", "Get"));
  CHECK(isOpenCall("org.freedesktop.DBus.Properties", "GetAll"));
  CHECK_FALSE(isOpenCall("org.freedesktop.DBus.Properties", "Set"));
  CHECK(isOpenCall("org.freedesktop.DBus.Introspectable", "Introspect"));
  CHECK(isOpenCall("org.freedesktop.DBus.Peer", "Ping"));
  CHECK(isOpenCall("org.freedesktop.DBus.ObjectManager", "GetManagedObjects"));
  CHECK(isOpenCall("org.vesta.Vestad1.Manager", "ListJobs"));
  CHECK(isOpenCall("org.vesta.Vestad1.Manager", "ListPeers"));
  CHECK_FALSE(isOpenCall("org.vesta.Vestad1.Manager", "Exec"));
  CHECK_FALSE(isOpenCall("org.vesta.Vestad1.Manager", "Stress"));
  CHECK_FALSE(isOpenCall("org.vesta.Vestad1.Job", "Cancel"));
  CHECK_FALSE(isOpenCall(nullptr, "Get"));
}

TEST_CASE("a caller below vestad is refused unless it comes through vestad's own children") {
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  bool outside = true;
  JobCallers none([] { return std::vector<pid_t>{}; });
  CHECK(none.whyRefused(child, &outside).find("a peer's exec job may not call") !=
        std::string::npos);
  CHECK_FALSE(outside);
  JobCallers owners([child] { return std::vector<pid_t>{child}; });
  CHECK(owners.whyRefused(child, &outside).empty());  // the reaper of one of the owner's jobs
  CHECK_FALSE(outside);
  // This process's parent is not below it: outside, for good.
  CHECK(none.whyRefused(::getppid(), &outside).empty());
  CHECK(outside);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}
