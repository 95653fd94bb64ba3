#include <catch2/catch.hpp>

#include <map>

#include "chunks.h"

using vesta::ChunkOptions;
using vesta::ChunkScheduler;
using vesta::Digest;
using vesta::JobSeed;
using vesta::Range;

namespace {

const JobSeed kSeed = {1, 2, 3};

Digest hashOf(Range r) {
  return *vesta::hashRange(kSeed, r.first, r.end);
}

// Small chunks so a few thousand iterations exercise every path quickly.
ChunkOptions smallChunks() {
  ChunkOptions o;
  o.first_chunk_per_worker = 64;
  o.min_chunk = 16;
  o.target_ms = 1000;
  return o;
}

// Runs a job to the end with simulated runners of the given speeds (iterations per ms), each
// computing its oldest chunk first. Returns iterations done by each runner.
std::map<std::string, uint64_t> simulate(ChunkScheduler& s,
                                         const std::map<std::string, double>& speed) {
  struct Work {
    Range range;
    double finishAt;
  };
  std::map<std::string, std::vector<Work>> queue;
  std::map<std::string, double> busyUntil;
  double now = 0;
  for (auto& [name, v] : speed) s.addRunner(name, 1);
  for (int step = 0; step < 100000 && !s.done(); ++step) {
    for (auto& [name, v] : speed)
      for (Range r : s.fill(name, static_cast<uint64_t>(now))) {
        double start = std::max(now, busyUntil[name]);
        busyUntil[name] = start + static_cast<double>(r.size()) / v;
        queue[name].push_back({r, busyUntil[name]});
      }
    // Advance to the next completion.
    std::string who;
    double next = 1e18;
    for (auto& [name, works] : queue)
      if (!works.empty() && works.front().finishAt < next)
        next = works.front().finishAt, who = name;
    REQUIRE(!who.empty());
    now = next;
    Work w = queue[who].front();
    queue[who].erase(queue[who].begin());
    s.complete(who, w.range, hashOf(w.range), static_cast<uint64_t>(now));
  }
  std::map<std::string, uint64_t> by;
  for (auto& [name, v] : speed) by[name] = s.completedBy(name);
  return by;
}

}  // namespace

TEST_CASE("chunks cover the job exactly once and merge to the single-node result", "[chunks]") {
  const uint64_t total = 5000;
  ChunkScheduler s(total, smallChunks());
  auto by = simulate(s, {{"desk", 40.0}, {"pi4", 5.0}, {"laptop", 20.0}});
  REQUIRE(s.done());
  CHECK(s.completed() == total);
  CHECK(by["desk"] + by["pi4"] + by["laptop"] == total);
  CHECK(s.result() == hashOf({0, total}));
}

TEST_CASE("a faster runner takes a larger share", "[chunks]") {
  ChunkScheduler s(200000, smallChunks());
  auto by = simulate(s, {{"desk", 80.0}, {"pi4", 10.0}});
  REQUIRE(s.done());
  CHECK(by["desk"] > 4 * by["pi4"]);
  CHECK(by["pi4"] > 0);
}

TEST_CASE("chunk size follows the measured speed once it is known", "[chunks]") {
  ChunkOptions o = smallChunks();
  o.target_ms = 100;
  ChunkScheduler s(1'000'000, o);
  s.addRunner("desk", 2);
  auto first = s.fill("desk", 0);
  REQUIRE(first.size() == 2);     // depth 2
  CHECK(first[0].size() == 128);  // 64 per worker before any result
  // 128 iterations in 10 ms: 12800 it/s, so a 100 ms chunk is 1280 iterations.
  REQUIRE(s.complete("desk", first[0], hashOf(first[0]), 10));
  auto next = s.fill("desk", 10);
  REQUIRE(next.size() == 1);
  CHECK(next[0].size() == 1280);
  CHECK(next[0].first == first[1].end);
}

TEST_CASE("a lost runner's chunks go back to the pool and are run by another", "[chunks]") {
  ChunkScheduler s(1000, smallChunks());
  s.addRunner("desk", 1);
  s.addRunner("pi4", 1);
  auto pi = s.fill("pi4", 0);
  REQUIRE(pi.size() == 2);
  uint64_t back = s.lose("pi4");
  CHECK(back == pi[0].size() + pi[1].size());
  CHECK_FALSE(s.hasRunner("pi4"));
  // A result from the lost runner arriving late is ignored, not counted twice.
  CHECK_FALSE(s.complete("pi4", pi[0], hashOf(pi[0]), 5));
  simulate(s, {{"desk", 10.0}});
  REQUIRE(s.done());
  CHECK(s.result() == hashOf({0, 1000}));
  CHECK(s.completedBy("pi4") == 0);
}

TEST_CASE("a result for a range never sent there is refused", "[chunks]") {
  ChunkScheduler s(1000, smallChunks());
  s.addRunner("desk", 1);
  auto sent = s.fill("desk", 0);
  REQUIRE(!sent.empty());
  CHECK_FALSE(s.complete("desk", {0, 1000}, {}, 1));
  CHECK_FALSE(s.complete("laptop", sent[0], hashOf(sent[0]), 1));
  CHECK_FALSE(s.complete("desk", {sent[0].first, sent[0].end + 1}, {}, 1));
  CHECK(s.completed() == 0);
}

TEST_CASE("an idle runner backs up a stalled chunk at the end, and the first result wins",
          "[chunks]") {
  ChunkOptions o = smallChunks();
  o.depth = 1;
  o.min_chunk = 64;  // two chunks make the whole job
  ChunkScheduler s(128, o);
  s.addRunner("desk", 1);
  s.addRunner("pi4", 1);
  auto pi = s.fill("pi4", 0);
  auto desk = s.fill("desk", 0);
  REQUIRE(pi.size() == 1);
  REQUIRE(desk.size() == 1);
  REQUIRE(s.complete("desk", desk[0], hashOf(desk[0]), 100));
  // Not overdue yet (3 x the 1000 ms target): nothing to back up.
  CHECK(s.fill("desk", 1000).empty());
  auto backup = s.fill("desk", 3500);
  REQUIRE(backup.size() == 1);
  CHECK(backup[0] == pi[0]);
  CHECK(s.fill("desk", 3600).empty());  // only one copy per chunk
  REQUIRE(s.complete("desk", backup[0], hashOf(backup[0]), 3700));
  CHECK_FALSE(s.complete("pi4", pi[0], hashOf(pi[0]), 3800));  // the late original
  REQUIRE(s.done());
  CHECK(s.result() == hashOf({0, 128}));
}

TEST_CASE("losing a runner whose chunk has a copy elsewhere does not duplicate it", "[chunks]") {
  ChunkOptions o = smallChunks();
  o.depth = 1;
  o.min_chunk = 64;  // two chunks make the whole job
  ChunkScheduler s(128, o);
  s.addRunner("desk", 1);
  s.addRunner("pi4", 1);
  auto pi = s.fill("pi4", 0);
  auto desk = s.fill("desk", 0);
  REQUIRE(s.complete("desk", desk[0], hashOf(desk[0]), 10));
  auto backup = s.fill("desk", 5000);
  REQUIRE(backup.size() == 1);
  CHECK(s.lose("pi4") == 0);  // desk still holds the copy
  REQUIRE(s.complete("desk", backup[0], hashOf(backup[0]), 5100));
  CHECK(s.done());
  CHECK(s.result() == hashOf({0, 128}));
}
