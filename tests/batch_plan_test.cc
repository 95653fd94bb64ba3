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

// A parser fed the starts and ends of the first `ended` of `n` commands, then the start of
// `running` more (0 or 1) that did not end.
BatchStreamParser parserOf(size_t n, size_t ended, size_t running = 0) {
  BatchStreamParser p(n);
  std::string s;
  auto header = [&](BatchRecord kind, size_t i, uint32_t length) {
    uint8_t h[kBatchHeaderBytes];
    encodeBatchHeader(h, kind, static_cast<uint32_t>(i), length);
    s.append(reinterpret_cast<char*>(h), sizeof h);
  };
  for (size_t i = 0; i < ended + running; ++i) {
    header(BatchRecord::Started, i, 0);
    if (i >= ended) break;
    uint8_t b[kBatchEndBytes];
    encodeBatchEnd(b, 0, 0, 0);
    header(BatchRecord::End, i, kBatchEndBytes);
    s.append(reinterpret_cast<char*>(b), sizeof b);
  }
  REQUIRE(p.feed({reinterpret_cast<const uint8_t*>(s.data()), s.size()}));
  return p;
}

using F = BatchFate;

}  // namespace

TEST_CASE("each command of an ended batch has its fate") {
  SECTION("all ended") {
    CHECK(batchFates(parserOf(3, 3), false, false) == std::vector{F::Ended, F::Ended, F::Ended});
  }
  SECTION("cut short while one ran: it failed with the batch, the rest go again") {
    CHECK(batchFates(parserOf(4, 1, 1), false, false) ==
          std::vector{F::Ended, F::FailedWithIt, F::Again, F::Again});
  }
  SECTION("stopped after one ended (a cancel, its owner): the next never ran, it goes again") {
    CHECK(batchFates(parserOf(3, 1), false, false) == std::vector{F::Ended, F::Again, F::Again});
  }
  SECTION("lost while the first ran, before it printed: only the first failed") {
    CHECK(batchFates(parserOf(3, 0, 1), false, true) ==
          std::vector{F::FailedWithIt, F::Again, F::Again});
  }
  SECTION("never ran (refused, never placed): each failed with it") {
    CHECK(batchFates(parserOf(3, 0), false, true) ==
          std::vector{F::FailedWithIt, F::FailedWithIt, F::FailedWithIt});
  }
  SECTION("nothing started, yet the job ran: the first failed with it, the rest go again") {
    CHECK(batchFates(parserOf(3, 0), false, false) ==
          std::vector{F::FailedWithIt, F::Again, F::Again});
  }
  SECTION("our Ctrl-C: the running one is cancelled, the rest never ran") {
    CHECK(batchFates(parserOf(3, 1, 1), true, false) ==
          std::vector{F::Ended, F::Cancelled, F::Again});
    CHECK(batchFates(parserOf(2, 0), true, true) == std::vector{F::Again, F::Again});
  }
}

TEST_CASE("a batch takes commands while one offer can carry them") {
  BatchLoad load;
  std::vector<std::string> big{"grep", std::string(100 * 1024, 'x')};
  CHECK(load.add(big));
  CHECK(load.add(big));
  CHECK_FALSE(load.add(big));  // 300 KiB would pass the 256 KiB of one offer
  CHECK(load.add({"grep", "small"}));
  BatchLoad words;
  std::vector<std::string> many(1000, "w");
  for (int i = 0; i < 4; ++i) CHECK(words.add(many));
  CHECK_FALSE(words.add(many));  // 5,000 words would pass the 4,096 of one offer
  CHECK(words.add(std::vector<std::string>(96, "w")));
  BatchLoad alone;  // the first command is taken whatever its size: alone it is refused as such
  CHECK(alone.add({std::string(300 * 1024, 'y')}));
}
