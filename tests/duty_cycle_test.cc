#include "duty_cycle.h"

#include <catch2/catch.hpp>

#include <cmath>

using vesta::DutyCycle;

namespace {
constexpr uint64_t kMs = 1'000'000;

// A worker that hashes 100 ms pieces whenever it may, and otherwise looks again every
// `pollMs`: the CPU it used over `seconds`.
double cpuSecondsAt(double share, double seconds, uint64_t pollMs = 200) {
  DutyCycle duty;
  uint64_t now = 0, used = 0;
  const auto end = static_cast<uint64_t>(seconds * 1000) * kMs;
  while (now < end) {
    if (duty.mayRun(share, now)) {
      duty.charge(100 * kMs);
      used += 100 * kMs;
      now += 100 * kMs;  // the piece took its own time on the wall clock too
    } else {
      now += pollMs * kMs;
    }
  }
  return static_cast<double>(used) / 1e9;
}
}  // namespace

TEST_CASE("a share of a core is what a worker gets over time", "[duty_cycle]") {
  for (double share : {0.1, 0.25, 0.5, 0.53, 0.9}) {
    CAPTURE(share);
    double used = cpuSecondsAt(share, 30);
    // Within one piece and the burst of the share's 30 s.
    CHECK(std::abs(used - share * 30) <= 0.3);
  }
  // However seldom the worker looks: credit waits for it, up to the burst.
  CHECK(std::abs(cpuSecondsAt(0.5, 30, 50) - 15) <= 0.3);
}

TEST_CASE("no share, no CPU; a whole one, all of it", "[duty_cycle]") {
  CHECK(cpuSecondsAt(0, 10) == 0);
  CHECK(cpuSecondsAt(1, 10) >= 9.7);  // all but the first look, which finds no credit yet
}

TEST_CASE("idle time does not buy a burst beyond the cap", "[duty_cycle]") {
  DutyCycle duty(200 * kMs);
  CHECK_FALSE(duty.mayRun(0.5, 0));         // no credit yet
  CHECK(duty.mayRun(0.5, 3600'000 * kMs));  // an hour with nothing to hash
  CHECK(duty.creditNs() == static_cast<int64_t>(200 * kMs));
  duty.charge(300 * kMs);                                     // one long piece takes it below zero
  CHECK_FALSE(duty.mayRun(0.5, 3600'000 * kMs + 100 * kMs));  // -100 + 50: still owed
  CHECK(duty.mayRun(0.5, 3600'000 * kMs + 300 * kMs));        // -100 + 150
}

TEST_CASE("a clock that goes back earns nothing and costs nothing", "[duty_cycle]") {
  DutyCycle duty;
  CHECK(duty.mayRun(1, 100 * kMs) == false);  // first look: the start
  CHECK(duty.mayRun(1, 200 * kMs));
  int64_t credit = duty.creditNs();
  CHECK(duty.mayRun(1, 50 * kMs));
  CHECK(duty.creditNs() == credit);
}
