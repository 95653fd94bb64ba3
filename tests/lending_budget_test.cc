#include "lending_budget.h"

#include <catch2/catch.hpp>

#include "pause_plan.h"

using namespace vesta;

TEST_CASE("the budget is the offer on an idle machine, never rounded up", "[budget]") {
  BudgetInputs in;
  in.cores = 2;  // 75% of 2 cores: 1.5 offered
  auto b = computeBudget(in);
  CHECK(b.cores == Approx(1.5));
  CHECK(b.workers() == 1);  // not 2: a peer never gets the whole machine
  CHECK(b.summary == "owner 0.0 cores, lending 1.5 of 1.5 offered");
  in.cores = 4;
  CHECK(computeBudget(in).workers() == 3);
}

TEST_CASE("the owner's load is the machine's minus the borrowed work's", "[budget]") {
  BudgetInputs in;
  in.cores = 4;
  in.machineBusyCores = 3.0;   // borrowed work keeps 2.5 cores busy, the owner 0.5
  in.borrowedBusyCores = 2.5;  // so the node is not starved by its own lending
  auto b = computeBudget(in);
  CHECK(b.ownerCores == Approx(0.5));
  CHECK(b.cores == Approx(2.7));  // min(3.0 offered, 4 x 0.8 - 0.5 owner)
  in.borrowedBusyCores = 0;       // the same busy machine, all of it the owner's
  b = computeBudget(in);
  CHECK(b.ownerCores == Approx(3.0));
  CHECK(b.cores == Approx(0.2));  // 3.2 - 3.0
  CHECK(b.workers() == 0);
  in.machineBusyCores = 4;
  CHECK(computeBudget(in).cores == 0);  // never negative
  in.borrowedBusyCores = 5;             // measured apart, a little off: owner never < 0
  CHECK(computeBudget(in).ownerCores == 0);
}

TEST_CASE("heat scales willingness from the soft to the hard limit", "[budget]") {
  CHECK(thermalFactor(std::nullopt, 70, 80) == 1);
  CHECK(thermalFactor(65, 70, 80) == 1);
  CHECK(thermalFactor(70, 70, 80) == 1);
  CHECK(thermalFactor(76, 70, 80) == Approx(0.4));
  CHECK(thermalFactor(80, 70, 80) == 0);
  CHECK(thermalFactor(95, 70, 80) == 0);
  BudgetInputs in;
  in.cores = 4;
  in.hottestCelsius = 76;
  auto b = computeBudget(in);
  CHECK(b.cores == Approx(3.0 * 0.4));
  CHECK(b.summary == "owner 0.0 cores, lending 1.2 of 3.0 offered; hot 76 °C: lends 40%");
}

TEST_CASE("power willingness and the in-use rule cut the offer", "[budget]") {
  BudgetInputs in;
  in.cores = 4;
  in.willingness = 0.6;  // solar at 60%
  CHECK(computeBudget(in).cores == Approx(1.8));
  in.willingness = 1;
  in.user = UserPresence::Active;
  CHECK(computeBudget(in).cores == Approx(3.0));  // default 100: keep lending
  in.inUseOfferPct = 0;                           // a laptop owner: only when away
  auto b = computeBudget(in);
  CHECK(b.cores == 0);
  CHECK(b.summary == "owner 0.0 cores, lending 0.0 of 3.0 offered; in use: offer 0%");
  in.user = UserPresence::Unknown;  // no logind: not "in use"
  CHECK(computeBudget(in).cores == Approx(3.0));
  in.user = UserPresence::Away;
  CHECK(computeBudget(in).cores == Approx(3.0));
}

TEST_CASE("beyond the budget the newest commands pause first", "[pause]") {
  PausePolicy policy(10'000, 600'000);
  std::vector<BorrowedCommand> cmds = {{1, 100}, {2, 200}, {3, 300}};
  auto p = policy.plan(cmds, 1, 1000);
  CHECK(p.pause == std::vector<uint64_t>{3, 2});
  CHECK(p.resume.empty());
  CHECK(policy.plan(cmds, 3, 1000).empty());  // within the budget: nothing to do
}

TEST_CASE("paused commands resume oldest first after the budget has been back a while", "[pause]") {
  PausePolicy policy(10'000, 600'000);
  std::vector<BorrowedCommand> cmds = {{1, 100}, {2, 200, true, 1000}, {3, 300, true, 1000}};
  CHECK(policy.plan(cmds, 3, 2000).empty());    // room now: the clock starts
  CHECK(policy.plan(cmds, 3, 11'999).empty());  // not yet 10 s
  CHECK(policy.plan(cmds, 1, 12'000).empty());  // the owner is back: the wait starts over
  CHECK(policy.plan(cmds, 2, 13'000).empty());
  CHECK(policy.plan(cmds, 2, 22'999).empty());
  auto p = policy.plan(cmds, 2, 23'000);
  CHECK(p.resume == std::vector<uint64_t>{2});  // one slot free, for the older one
  cmds[1].paused = false;
  p = policy.plan(cmds, 3, 24'000);  // the room holds: the next one need not wait again
  CHECK(p.resume == std::vector<uint64_t>{3});
}

TEST_CASE("a command paused too long is stopped", "[pause]") {
  PausePolicy policy(10'000, 600'000);
  std::vector<BorrowedCommand> cmds = {{1, 100}, {2, 200, true, 1000}};
  CHECK(policy.plan(cmds, 1, 600'999).empty());
  auto p = policy.plan(cmds, 1, 601'000);
  CHECK(p.stop == std::vector<uint64_t>{2});
  CHECK(p.pause.empty());
}
