#include "lineage.h"

namespace vesta {

Lineage lineageFrom(pid_t pid, pid_t ancestor, const ParentOf& parentOf) {
  // A bound on the walk: a tree is never this deep, and a loop in what parentOf reports (a pid
  // reused while we walk) must end too. An unfinished walk is not known.
  constexpr int kMaxDepth = 4096;
  pid_t at = pid;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    if (at <= 1) return {true, std::nullopt};
    pid_t parent = parentOf(at);
    if (parent < 0) return {false, std::nullopt};
    if (parent == ancestor) return {true, at};
    at = parent;
  }
  return {false, std::nullopt};
}

}  // namespace vesta
