#include "budget_text.h"

#include <cstdio>

namespace vesta {
namespace {

std::string printed(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void add(std::string& list, const std::string& item) {
  if (!item.empty()) list += (list.empty() ? "" : "; ") + item;
}

}  // namespace

std::string heatNote(double temperatureC, double thermalFactor) {
  if (temperatureC < 0 || thermalFactor >= 1) return "";
  return "hot " + printed("%.0f", temperatureC) + " °C: lends " +
         printed("%.0f", thermalFactor * 100) + "%";
}

std::string budgetCuts(const api::NodeInfo& n) {
  std::string cuts;
  add(cuts, heatNote(n.temperatureC, n.thermalFactor));
  if (n.willingness < 1)
    add(cuts, n.powerMode + ": lends " + printed("%.0f", n.willingness * 100) + "%");
  // Only when in_use_offer_pct cut the offer; the daemon's summary says by how much.
  if (auto at = n.budgetSummary.find("in use: ");
      n.userPresence == "active" && at != std::string::npos)
    add(cuts, n.budgetSummary.substr(at, n.budgetSummary.find(';', at) - at));
  // The rest of the way below willingness x heat x offer is the owner's load against the reserve.
  double unreserved = n.willingness * n.thermalFactor * n.offerCores;
  if (n.lendingBudgetCores + 0.05 < unreserved)
    add(cuts, "owner's load " + printed("%.0f", n.ownerCpuPct) + "% leaves " +
                  printed("%.1f", n.lendingBudgetCores) + " above the reserve");
  return cuts;
}

std::string ownerLine(const api::NodeInfo& n) {
  double cores = n.cores ? n.cores : 1;
  std::string line = "owner " + printed("%.0f", n.ownerCpuPct) + "%, lending " +
                     printed("%.0f", n.borrowedCpuPct) + "% of " +
                     printed("%.0f", n.offerCores / cores * 100) + "% offered; budget " +
                     printed("%.1f", n.lendingBudgetCores) + " cores";
  if (std::string cuts = budgetCuts(n); !cuts.empty()) line += " (" + cuts + ")";
  return line;
}

}  // namespace vesta
