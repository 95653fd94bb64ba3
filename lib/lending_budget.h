// What this node lends right now, recomputed every sample: the owner's own load measured apart
// from the borrowed work's, the heat, the power willingness and whether someone is at the
// keyboard, combined into one budget of cores (docs/configuration.md has the table):
//   budget = willingness x thermal factor x min(offer, cores x (1 - reserve) - owner's cores)
// never negative, where the offer is cores x cpu_offer_pct, times in_use_offer_pct while a user
// is active. Borrowed chunks hash within it, its fraction included (lib/duty_cycle); borrowed
// commands, whole processes, run on its whole cores. Pure.
#pragma once

#include <optional>
#include <string>

namespace vesta {

enum class UserPresence { Unknown, Active, Away };

struct BudgetInputs {
  unsigned cores = 1;
  double machineBusyCores = 0;           // all of the machine's busy time over the sample, in cores
  double borrowedBusyCores = 0;          // the part of it that was borrowed work
  double willingness = 1;                // from the power policy, 0..1
  std::optional<double> hottestCelsius;  // the hottest CPU zone, when there is a sensor
  UserPresence user = UserPresence::Unknown;
  // The owner's settings.
  unsigned cpuOfferPct = 75, reservePct = 20, inUseOfferPct = 100;
  double thermalSoftCelsius = 70, thermalHardCelsius = 80;
};

struct LendingBudget {
  double ownerCores = 0;     // the owner's own load: machine busy minus borrowed, never < 0
  double thermalFactor = 1;  // 1 at or below the soft limit, 0 at or above the hard one
  double offerCores = 0;     // what the owner offers now (the in-use rule applied)
  double cores = 0;          // the budget
  // Whole cores: the borrowed commands that may run now. Never rounded up.
  unsigned workers() const;
  // For people: "owner 0.7 cores, lending 0.8 of 1.5 offered", with what cut it
  // ("hot 76 °C: lends 40%", "in use: offer 0%").
  std::string summary;
};

LendingBudget computeBudget(const BudgetInputs& in);

// The heat's share of willingness: linear from 1 at `soft` to 0 at `hard`.
double thermalFactor(std::optional<double> celsius, double soft, double hard);

}  // namespace vesta
