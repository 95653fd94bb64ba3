// lib/lineage: through which child of an ancestor a process descends, on a made-up process tree.
#include "lineage.h"

#include <catch2/catch.hpp>
#include <map>

using vesta::lineageFrom;
using vesta::ProcLink;

namespace {

// 1 <- 50 (vestad) <- 60 (reaper) <- 61 (sh) <- 62 (vesta); 50 <- 70 (spawner); 1 <- 80 <- 81.
// Each started after its parent (the second number).
const std::map<pid_t, ProcLink> kTree = {{50, {1, 10}},  {60, {50, 20}}, {61, {60, 21}},
                                         {62, {61, 22}}, {70, {50, 11}}, {80, {1, 5}},
                                         {81, {80, 30}}};

std::optional<ProcLink> parentOf(pid_t pid) {
  auto it = kTree.find(pid);
  if (it == kTree.end()) return std::nullopt;
  return it->second;
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
  auto gone = lineageFrom(999, 50, parentOf);
  CHECK_FALSE(gone.known);  // gone, or hidden, before it could be read
  CHECK(gone.lost == 999);
  auto loop = [](pid_t pid) { return std::optional<ProcLink>({pid == 5 ? 6 : 5, 0}); };
  auto l = lineageFrom(5, 50, loop);
  CHECK_FALSE(l.known);
  CHECK_FALSE(l.child);
}

TEST_CASE("a parent that started after its child is a reused pid: the walk is not known") {
  // 90's parent was 60, which ended; its pid now names a process started at 95, after 90.
  auto reused = [](pid_t pid) -> std::optional<ProcLink> {
    if (pid == 90) return ProcLink{60, 40};
    if (pid == 60) return ProcLink{1, 95};
    return std::nullopt;
  };
  auto l = lineageFrom(90, 50, reused);
  CHECK_FALSE(l.known);
  CHECK(l.lost == 0);
}
