#include "lending_budget.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vesta {
namespace {

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

unsigned LendingBudget::workers() const {
  // A tiny float error must not take a whole worker away: 1.9999999 is 2.
  return static_cast<unsigned>(std::floor(cores + 1e-9));
}

double thermalFactor(std::optional<double> celsius, double soft, double hard) {
  if (!celsius || *celsius <= soft) return 1;
  if (*celsius >= hard || hard <= soft) return 0;
  return (hard - *celsius) / (hard - soft);
}

LendingBudget computeBudget(const BudgetInputs& in) {
  LendingBudget b;
  b.ownerCores = std::max(0.0, in.machineBusyCores - in.borrowedBusyCores);
  b.thermalFactor = thermalFactor(in.hottestCelsius, in.thermalSoftCelsius, in.thermalHardCelsius);
  double cores = in.cores;
  b.offerCores = cores * in.cpuOfferPct / 100.0;
  if (in.user == UserPresence::Active) b.offerCores *= in.inUseOfferPct / 100.0;
  double headroom = cores * (1 - in.reservePct / 100.0) - b.ownerCores;
  double willing = std::clamp(in.willingness, 0.0, 1.0);
  b.cores = std::max(0.0, willing * b.thermalFactor * std::min(b.offerCores, headroom));

  b.summary = "owner " + fixed(b.ownerCores, 1) + " cores, lending " + fixed(b.cores, 1) + " of " +
              fixed(cores * in.cpuOfferPct / 100.0, 1) + " offered";
  if (b.thermalFactor < 1)
    b.summary += "; hot " + fixed(*in.hottestCelsius, 0) + " °C: lends " +
                 fixed(b.thermalFactor * 100, 0) + "%";
  if (in.user == UserPresence::Active && in.inUseOfferPct < 100)
    b.summary += "; in use: offer " + std::to_string(in.inUseOfferPct) + "%";
  if (willing < 1) b.summary += "; power: lends " + fixed(willing * 100, 0) + "%";
  return b;
}

}  // namespace vesta
