// The fan-out's batch decisions: one command per batch until a run time is known, then about
// the target's worth, capped, and split so the last commands still fill every lane; and what
// became of each command of a batch that ended whole, cut short, cancelled or never ran.
#include <catch2/catch.hpp>

#include <signal.h>

#include <string>

#include "batch_plan.h"

using namespace vesta;

TEST_CASE("a batch holds one command until run times are known, then about 50 ms of them") {
  CHECK(batchSize(-1, 1000) == 1);
  CHECK(batchSize(1.0, 1000) == 50);
  CHECK(batchSize(0.1, 100000) == 64);  // capped
  CHECK(batchSize(0.0, 100000) == 64);  // a run time of 0 does not divide by zero
  CHECK(batchSize(100.0, 1000) == 1);   // a long command stays alone
  CHECK(batchSize(1.0, 160) == 10);     // 160 left fill 16 lanes of 10
  CHECK(batchSize(1.0, 17) == 2);
  CHECK(batchSize(1.0, 3) == 1);
  CHECK(batchSize(1.0, 0) == 1);
  CHECK(batchSize(2.0, 1000, {10, 8, 4}) == 5);
}

TEST_CASE("the mean run time follows the latest ones") {
  double mean = nextMeanRuntimeMs(-1, 10);
  CHECK(mean == 10);
  for (int i = 0; i < 40; ++i) mean = nextMeanRuntimeMs(mean, 1);
  CHECK(mean < 1.01);
  CHECK(nextMeanRuntimeMs(1, 101) == Approx(21));
}

namespace {

// A parser fed the ends of the first `ended` of `n` commands, the last of them by `lastSignal`.
BatchStreamParser endedParser(size_t n, size_t ended, int lastSignal = 0) {
  BatchStreamParser p(n);
  std::string s;
  for (size_t i = 0; i < ended; ++i) {
    uint8_t h[kBatchHeaderBytes], b[kBatchEndBytes];
    encodeBatchHeader(h, BatchRecord::End, static_cast<uint32_t>(i), kBatchEndBytes);
    encodeBatchEnd(b, i + 1 == ended ? lastSignal : 0, 0, 0);
    s.append(reinterpret_cast<char*>(h), sizeof h);
    s.append(reinterpret_cast<char*>(b), sizeof b);
  }
  REQUIRE(p.feed({reinterpret_cast<const uint8_t*>(s.data()), s.size()}));
  return p;
}

using F = BatchFate;

}  // namespace

TEST_CASE("each command of an ended batch has its fate") {
  SECTION("all ended") {
    auto p = endedParser(3, 3);
    CHECK(batchFates(p, false, false) == std::vector{F::Ended, F::Ended, F::Ended});
  }
  SECTION("cut short: the running one failed with it, the rest go again") {
    auto p = endedParser(4, 1);
    CHECK(batchFates(p, false, false) ==
          std::vector{F::Ended, F::FailedWithIt, F::Again, F::Again});
  }
  SECTION("never ran: each failed with it") {
    auto p = endedParser(3, 0);
    CHECK(batchFates(p, false, true) ==
          std::vector{F::FailedWithIt, F::FailedWithIt, F::FailedWithIt});
  }
  SECTION("cancelled: the one our cancel stopped is cancelled too") {
    auto p = endedParser(3, 2, SIGTERM);
    CHECK(batchFates(p, true, false) == std::vector{F::Ended, F::Cancelled, F::Cancelled});
  }
  SECTION("cancelled after a command that ended by itself") {
    auto p = endedParser(3, 2);
    CHECK(batchFates(p, true, false) == std::vector{F::Ended, F::Ended, F::Cancelled});
  }
  SECTION("a signal without a cancel is the command's own end") {
    auto p = endedParser(2, 2, SIGKILL);
    CHECK(batchFates(p, false, false) == std::vector{F::Ended, F::Ended});
  }
}
