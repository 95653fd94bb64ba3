#include "save_schedule.h"

#include <catch2/catch.hpp>

using vesta::saveDelayMs;
using vesta::SaveTiming;

TEST_CASE("an urgent change after a quiet spell is written at once", "[save_schedule]") {
  CHECK(saveDelayMs(5000, std::nullopt, true) == 0);  // never written yet
  CHECK(saveDelayMs(5000, 4800, true) == 0);          // exactly the gap ago
  CHECK(saveDelayMs(5000, 1000, true) == 0);
}

TEST_CASE("a burst of urgent changes waits out the rest of the gap", "[save_schedule]") {
  CHECK(saveDelayMs(5000, 4950, true) == 150);
  CHECK(saveDelayMs(5000, 5000, true) == 200);
  SaveTiming t{50, 3000};
  CHECK(saveDelayMs(5000, 4990, true, t) == 40);
}

TEST_CASE("other changes are coalesced, however long ago the last write", "[save_schedule]") {
  CHECK(saveDelayMs(5000, std::nullopt, false) == 1000);
  CHECK(saveDelayMs(5000, 100, false) == 1000);
  CHECK(saveDelayMs(5000, 100, false, SaveTiming{50, 3000}) == 3000);
}

TEST_CASE("a clock that went back does not hold an urgent write", "[save_schedule]") {
  CHECK(saveDelayMs(1000, 5000, true) == 0);
}
