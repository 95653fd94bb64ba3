#include "memory_reserve.h"

#include <catch2/catch.hpp>

#include "proc_pid_stat.h"

using namespace vesta;

TEST_CASE("nothing is stopped while MemAvailable is above the reserve", "[memory_reserve]") {
  CHECK(memoryVictims({{1, 0, 500}}, 800, 800).empty());
  CHECK(memoryVictims({{1, 0, 500}}, 2000, 800).empty());
}

TEST_CASE("the largest borrowed holders go first, the newest among equals, only as many as needed",
          "[memory_reserve]") {
  std::vector<MemoryHolder> h{{1, 100, 200}, {2, 200, 600}, {3, 300, 200}, {4, 50, 100}};
  // 500 MiB short: the 600 MiB one alone lifts it back.
  CHECK(memoryVictims(h, 300, 800) == std::vector<uint64_t>{2});
  // 900 short: 600, then the newer of the two 200s, then the other.
  CHECK(memoryVictims(h, 100, 1000) == std::vector<uint64_t>{2, 3, 1});
  // More short than all of them hold: all go.
  CHECK(memoryVictims(h, 0, 5000).size() == 4);
  CHECK(memoryVictims({}, 0, 5000).empty());
}

TEST_CASE("the reason names MemAvailable and the reserve", "[memory_reserve]") {
  CHECK(memoryReason(300, 800) ==
        "the owner needs the memory (MemAvailable 300 MiB, reserve 800 MiB)");
}

TEST_CASE("a /proc/PID/stat line gives group, times, start, memory and policy", "[proc_pid_stat]") {
  // A comm with spaces and a parenthesis, as a command may name itself.
  std::string line =
      "4242 (my (odd) cmd) S 4000 4100 4100 0 -1 4194560 100 0 0 0 "
      "150 25 7 3 39 19 1 0 12345 10000000 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
      "17 1 0 5 0 0 0\n";
  auto s = parseProcPidStat(line);
  REQUIRE(s);
  CHECK(s->pid == 4242);
  CHECK(s->ppid == 4000);
  CHECK(s->pgrp == 4100);
  CHECK(s->utime == 150);
  CHECK(s->stime == 25);
  CHECK(s->allTicks() == 185);
  CHECK(s->startTicks == 12345);
  CHECK(s->rssPages == 321);
  CHECK(s->policy == 5);
  CHECK_FALSE(parseProcPidStat("4242 (cut short) S 1 2"));
  CHECK_FALSE(parseProcPidStat("no parenthesis"));
  CHECK_FALSE(parseProcPidStat(""));
}
