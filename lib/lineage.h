// Where a process comes from: the child of a given ancestor it descends through, found by walking
// its parents. Pure: the caller passes how to read a process's parent (daemon/job_callers reads
// /proc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>

namespace vesta {

// A process's parent and its own start time (any clock, later is larger).
struct ProcLink {
  pid_t parent = 0;
  uint64_t start = 0;
};
// Nullopt when it cannot be read (the process is gone, or hidden from the reader).
using ParentOf = std::function<std::optional<ProcLink>(pid_t)>;

struct Lineage {
  bool known = false;          // the walk reached the top (pid 1 or 0) or `ancestor`
  std::optional<pid_t> child;  // `ancestor`'s child on the way up from `pid` (maybe `pid` itself)
  pid_t lost = 0;              // when not known: the process that could not be read, if any
};

// Walks up from `pid` until `ancestor` (then `child` says through which of its children), the top
// of the tree, or a process that cannot be read (then `known` is false and `lost` names it). A
// parent that started after its child is a reused pid: the walk is not known either.
Lineage lineageFrom(pid_t pid, pid_t ancestor, const ParentOf& parentOf);

}  // namespace vesta
