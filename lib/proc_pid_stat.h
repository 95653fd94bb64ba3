// One process's line of /proc/PID/stat, the fields the owner-first rules need: its process
// group (an exec job's processes share the reaper's), its CPU time and that of its reaped
// children, its resident memory, its scheduling policy and its start time. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vesta {

struct ProcPidStat {
  int64_t pid = 0, ppid = 0, pgrp = 0;
  // Clock ticks (sysconf(_SC_CLK_TCK)); cutime and cstime: its waited-for children's.
  uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
  uint64_t rssPages = 0;
  uint64_t startTicks = 0;  // when it started, in ticks since boot: a reused pid starts later
  unsigned policy = 0;      // 0 SCHED_OTHER, 3 SCHED_BATCH, 5 SCHED_IDLE
  // Its own and its reaped children's CPU time: summed over the live processes of a group, no
  // tick is counted twice (a live process's time is in no other live process's cutime).
  uint64_t allTicks() const { return utime + stime + cutime + cstime; }
};

// "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so the fields are read
// after its last ')'. Nullopt for a line too short or malformed.
std::optional<ProcPidStat> parseProcPidStat(std::string_view line);

}  // namespace vesta
