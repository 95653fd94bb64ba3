#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "replay_window.h"

using vesta::ReplayWindow;
using Verdict = ReplayWindow::Verdict;

TEST_CASE("in-order counters are fresh once and duplicates after", "[replay]") {
  ReplayWindow w;
  for (uint64_t c = 0; c < 3000; ++c) {
    REQUIRE(w.check(c) == Verdict::Fresh);
    w.mark(c);
    REQUIRE(w.check(c) == Verdict::Duplicate);
  }
  CHECK(w.check(3000 - ReplayWindow::kSize - 1) == Verdict::TooOld);
  CHECK(w.check(3000 - ReplayWindow::kSize) == Verdict::Duplicate);
}

TEST_CASE("reordered counters inside the window are accepted once", "[replay]") {
  ReplayWindow w;
  w.mark(100);
  CHECK(w.check(50) == Verdict::Fresh);
  w.mark(50);
  CHECK(w.check(50) == Verdict::Duplicate);
  CHECK(w.check(99) == Verdict::Fresh);
  w.mark(5000);  // a jump further than the window forgets everything behind it
  CHECK(w.check(99) == Verdict::TooOld);
  CHECK(w.check(4999) == Verdict::Fresh);
  CHECK(w.check(5000) == Verdict::Duplicate);
  CHECK(w.highest() == 5000);
}

TEST_CASE("the window agrees with a plain set model on random traffic", "[replay]") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 20; ++round) {
    ReplayWindow w;
    std::set<uint64_t> seen;
    uint64_t highest = 0;
    bool any = false;
    for (int i = 0; i < 20000; ++i) {
      // Mostly forward with jitter, sometimes replays, sometimes big jumps.
      uint64_t base = any ? highest : 0;
      uint64_t c;
      switch (rng() % 10) {
        case 0:
          c = base + rng() % 3000;
          break;
        case 1:
          c = base > 2000 ? base - rng() % 2000 : rng() % (base + 1);
          break;
        default:
          c = base + rng() % 8 - (base >= 4 ? rng() % 8 : 0);
          break;
      }
      Verdict expected = !any || c > highest                  ? Verdict::Fresh
                         : highest - c >= ReplayWindow::kSize ? Verdict::TooOld
                         : seen.count(c)                      ? Verdict::Duplicate
                                                              : Verdict::Fresh;
      REQUIRE(w.check(c) == expected);
      if (expected == Verdict::Fresh) {
        w.mark(c);
        seen.insert(c);
        if (!any || c > highest) highest = c;
        any = true;
      }
    }
  }
}
