// Power policy: how willing this node is to lend, from its battery state (docs/configuration.md).
#pragma once

#include <string>

#include "sysstat.h"

namespace vesta {

enum class PowerMode { Grid, Solar, Battery };

struct PowerDecision {
  PowerMode mode = PowerMode::Grid;
  double willingness = 1.0;  // share of the offer this node lends, 0..1
  std::string reason;        // for people, e.g. "battery 42% discharging"
};

// Applies the policy: on mains, charging or without a battery -> grid 1.0; discharging at 50% or
// more -> solar, proportional to charge; below 50% -> battery 0.35; below `batteryMinPct` -> 0.
// `forced` is the -power flag: "auto" reads the state, grid|solar|battery force that mode.
PowerDecision decidePower(const PowerState& state, const std::string& forced,
                          unsigned batteryMinPct);

const char* powerModeName(PowerMode mode);

}  // namespace vesta
