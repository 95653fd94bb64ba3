#include "lineage.h"

namespace vesta {

Lineage lineageFrom(pid_t pid, pid_t ancestor, const ParentOf& parentOf) {
  // A bound on the walk: a tree is never this deep, and a loop in what parentOf reports (a pid
  // reused while we walk) must end too. An unfinished walk is not known.
  constexpr int kMaxDepth = 4096;
  pid_t at = pid;
  std::optional<uint64_t> childStart;  // the start of the process the walk came up from
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    if (at <= 1) return {true, std::nullopt, 0};
    auto link = parentOf(at);
    if (!link) return {false, std::nullopt, at};
    if (childStart && link->start > *childStart) return {false, std::nullopt, 0};
    if (link->parent == ancestor) return {true, at, 0};
    childStart = link->start;
    at = link->parent;
  }
  return {false, std::nullopt, 0};
}

}  // namespace vesta
