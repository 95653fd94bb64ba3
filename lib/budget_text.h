// The owner-first figures in words, for vesta status, vesta peers and vestatop: "owner 35%,
// lending 40% of 75% offered; budget 1.2 cores (hot 76 °C: lends 40%)". Pure.
#pragma once

#include <string>

#include "api.h"

namespace vesta {

// The heat's cut, or "" when it cuts nothing (cool, or no sensor): "hot 76 °C: lends 40%".
std::string heatNote(double temperatureC, double thermalFactor);

// What cut the budget below the offer, in order: heat, power, someone at the keyboard, the
// owner's own load against the reserve. "" when nothing did.
std::string budgetCuts(const api::NodeInfo& n);

// "owner 35%, lending 40% of 75% offered; budget 1.2 cores" and, when something cut the
// budget, its cuts in parentheses.
std::string ownerLine(const api::NodeInfo& n);

}  // namespace vesta
