// lib/lineage: through which child of an ancestor a process descends, on a made-up process tree.
#include "lineage.h"

#include <catch2/catch.hpp>
#include <map>

using vesta::lineageFrom;

namespace {

// 1 <- 50 (vestad) <- 60 (reaper) <- 61 (sh) <- 62 (vesta); 50 <- 70 (spawner); 1 <- 80 <- 81.
const std::map<pid_t, pid_t> kTree = {{50, 1},  {60, 50}, {61, 60}, {62, 61},
                                      {70, 50}, {80, 1},  {81, 80}};

pid_t parentOf(pid_t pid) {
  auto it = kTree.find(pid);
  return it == kTree.end() ? -1 : it->second;
}

}  // namespace

TEST_CASE("a process below an ancestor is traced to the ancestor's child it came through") {
  auto l = lineageFrom(62, 50, parentOf);
  CHECK(l.known);
  REQUIRE(l.child);
  CHECK(*l.child == 60);
  auto direct = lineageFrom(70, 50, parentOf);
  REQUIRE(direct.child);
  CHECK(*direct.child == 70);  // the ancestor's own child is its own way through
}

TEST_CASE("a process elsewhere in the tree is known not to descend from the ancestor") {
  auto l = lineageFrom(81, 50, parentOf);
  CHECK(l.known);
  CHECK_FALSE(l.child);
  CHECK(lineageFrom(1, 50, parentOf).known);
}

TEST_CASE("a walk that loses a parent, or goes round in a loop, is not known") {
  CHECK_FALSE(lineageFrom(999, 50, parentOf).known);  // gone before it could be read
  auto loop = [](pid_t pid) { return pid == 5 ? 6 : 5; };
  auto l = lineageFrom(5, 50, loop);
  CHECK_FALSE(l.known);
  CHECK_FALSE(l.child);
}
