// Where a process comes from: the child of a given ancestor it descends through, found by walking
// its parents. Pure: the caller passes how to read a process's parent (daemon/job_callers reads
// /proc).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>

namespace vesta {

// The parent of a process; -1 when it cannot be read (the process is gone).
using ParentOf = std::function<pid_t(pid_t)>;

struct Lineage {
  bool known = false;          // the walk reached the top (pid 1 or 0) or `ancestor`
  std::optional<pid_t> child;  // `ancestor`'s child on the way up from `pid` (maybe `pid` itself)
};

// Walks up from `pid` until `ancestor` (then `child` says through which of its children), the top
// of the tree, or a parent that cannot be read (then `known` is false).
Lineage lineageFrom(pid_t pid, pid_t ancestor, const ParentOf& parentOf);

}  // namespace vesta
