// What the processes of some process groups use now, read from /proc in one pass: an exec job's
// command and everything it started stay in its reaper's group (daemon/spawn), so the group's
// sum is the job's CPU time and resident memory. Called once a sample while borrowed commands run.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>

namespace vesta {

struct GroupUsage {
  double cpuSeconds = 0;  // the live members' own and reaped children's CPU time
  uint64_t rssBytes = 0;
};

std::map<pid_t, GroupUsage> readProcessGroups(const std::set<pid_t>& groups);

}  // namespace vesta
