#include <catch2/catch.hpp>

#include "capacity.h"
#include "job.h"

using vesta::JobState;

TEST_CASE("job states move forward only and final states stay final", "[job]") {
  const JobState all[] = {JobState::Queued, JobState::Running, JobState::Paused,
                          JobState::Done,   JobState::Failed,  JobState::Cancelled};
  for (JobState from : all) {
    for (JobState to : all) {
      CAPTURE(vesta::jobStateName(from), vesta::jobStateName(to));
      bool expected =
          (from == JobState::Queued &&
           (to == JobState::Running || to == JobState::Failed || to == JobState::Cancelled)) ||
          (from == JobState::Running && (vesta::isTerminal(to) || to == JobState::Paused)) ||
          (from == JobState::Paused && (vesta::isTerminal(to) || to == JobState::Running));
      CHECK(vesta::canTransition(from, to) == expected);
    }
    CHECK(vesta::parseJobState(vesta::jobStateName(from)) == from);
  }
  CHECK_FALSE(vesta::parseJobState("exploded"));
}

TEST_CASE("job arguments are range-checked with the allowed range in the message", "[job]") {
  CHECK(vesta::checkCpuArgs(1));
  CHECK(vesta::checkCpuArgs(vesta::kMaxCpuMillions));
  CHECK_THAT(vesta::checkCpuArgs(0).error(), Catch::Contains("expected 1..1000000"));
  CHECK_FALSE(vesta::checkCpuArgs(vesta::kMaxCpuMillions + 1));
  CHECK(vesta::checkMemArgs(1, 0));
  CHECK_THAT(vesta::checkMemArgs(0, 10).error(), Catch::Contains("MiB is out of range"));
  CHECK_THAT(vesta::checkMemArgs(1, vesta::kMaxHoldMs + 1).error(), Catch::Contains("hold"));
}

TEST_CASE("job ids are decimal digits within uint64, never a wrapped negative", "[job]") {
  CHECK(vesta::parseJobId("1").value() == 1);
  CHECK(vesta::parseJobId("18446744073709551615").value() == UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0", "0x10", "18446744073709551616",
                          "99999999999999999999", "123456789012345678901", "1e3"}) {
    auto id = vesta::parseJobId(bad);
    REQUIRE_FALSE(id);
    CHECK(id.error().find("is not a job number") != std::string::npos);
  }
}

TEST_CASE("workers follow the offer unless set", "[capacity]") {
  vesta::Config c;
  CHECK(vesta::workerCount(2, c) == 1);  // 2 x 75% = 1.5, never rounded up
  CHECK(vesta::workerCount(4, c) == 3);
  CHECK(vesta::workerCount(1, c) == 1);
  c.cpu_offer_pct = 0;
  CHECK(vesta::workerCount(8, c) == 1);  // own jobs still run
  c.workers = 5;
  CHECK(vesta::workerCount(2, c) == 5);
}

TEST_CASE("memory jobs fit under the offer and above the owner's reserve", "[capacity]") {
  vesta::Config c;                             // mem_offer_mb 1024, reserve_pct 20
  vesta::MemInfo m{4096 * 1024, 2048 * 1024};  // 4 GiB total, 2 GiB available
  CHECK(vesta::reserveMb(m, c) == 819);
  CHECK(vesta::admitMemory(1024, m, c));
  CHECK_THAT(vesta::admitMemory(1025, m, c).error(), Catch::Contains("mem_offer_mb 1024"));
  c.mem_offer_mb = 4096;
  CHECK(vesta::admitMemory(2048 - 819, m, c));
  auto tooBig = vesta::admitMemory(2048 - 818, m, c);
  REQUIRE_FALSE(tooBig);
  CHECK_THAT(tooBig.error(), Catch::Contains("reserve"));
  CHECK_THAT(tooBig.error(), Catch::Contains("at most 1229 MiB"));
  vesta::MemInfo full{4096 * 1024, 100 * 1024};
  CHECK_FALSE(vesta::admitMemory(1, full, c));
}

TEST_CASE("a beacon advertises the lending budget as its spare cores, and the heat that cut it",
          "[capacity]") {
  vesta::Config c;  // offer 75%, reserve 20%
  vesta::MemInfo mem{8192 * 1024, 4096 * 1024};
  vesta::PowerDecision grid{vesta::PowerMode::Grid, 1.0, "no battery"};
  vesta::BudgetInputs in;  // 4 cores, the owner busy on 1, borrowed work on 1 more, 75 °C
  in.cores = 4;
  in.machineBusyCores = 2;
  in.borrowedBusyCores = 1;
  in.hottestCelsius = 75;
  auto budget = vesta::computeBudget(in);
  REQUIRE(budget.cores == Approx(0.5 * 2.2));  // half of min(3 offered, 3.2 - 1 owner's)
  auto snap = vesta::advertisedSnapshot(4, 0.5, mem, grid, 0, c, budget, 75.04);
  CHECK(snap.spare_millicores == 1100);  // the borrowed core does not count against it
  CHECK(snap.cpu_permille == 500);       // the machine's load is still the whole load
  CHECK(snap.temp_decicelsius == 750);
  CHECK(snap.thermal_permille == 500);
  auto cool = vesta::advertisedSnapshot(4, 0, mem, grid, 0, c, {}, std::nullopt);
  CHECK(cool.temp_decicelsius == vesta::kNoTemperature);
  CHECK(cool.thermal_permille == 1000);
  CHECK(cool.spare_millicores == 0);  // a budget of nothing advertises nothing
}
