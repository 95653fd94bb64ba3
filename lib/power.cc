#include "power.h"

namespace vesta {
namespace {

constexpr double kLowBatteryWillingness = 0.35;

std::string chargeText(const PowerState& s) {
  return s.capacity_pct ? std::to_string(*s.capacity_pct) + "%" : "charge unknown";
}

// Battery mode: 0.35, or nothing once the charge is under the minimum.
PowerDecision batteryDecision(const PowerState& s, unsigned batteryMinPct, std::string reason) {
  if (s.capacity_pct && *s.capacity_pct < static_cast<int>(batteryMinPct))
    return {
        PowerMode::Battery, 0.0,
        reason + ", below battery_min_pct " + std::to_string(batteryMinPct) + "%: lends nothing"};
  return {PowerMode::Battery, kLowBatteryWillingness, std::move(reason)};
}

}  // namespace

const char* powerModeName(PowerMode mode) {
  switch (mode) {
    case PowerMode::Grid:
      return "grid";
    case PowerMode::Solar:
      return "solar";
    case PowerMode::Battery:
      return "battery";
  }
  return "grid";
}

PowerDecision decidePower(const PowerState& s, const std::string& forced, unsigned batteryMinPct) {
  if (forced == "grid") return {PowerMode::Grid, 1.0, "forced grid by -power"};
  if (forced == "battery") return batteryDecision(s, batteryMinPct, "forced battery by -power");
  if (forced == "solar") {
    double w = s.capacity_pct ? *s.capacity_pct / 100.0 : 1.0;
    return {PowerMode::Solar, w, "forced solar by -power, " + chargeText(s)};
  }
  // A laptop drawing more than its charger gives reads "Discharging" with AC online: it is still
  // on the grid and the battery is not being drained for long.
  if (!s.has_battery) return {PowerMode::Grid, 1.0, "no battery"};
  if (s.on_ac) return {PowerMode::Grid, 1.0, "on AC, battery " + chargeText(s)};
  if (!s.discharging)
    return {PowerMode::Grid, 1.0, "battery " + chargeText(s) + " not discharging"};
  std::string reason = "battery " + chargeText(s) + " discharging";
  if (s.capacity_pct && *s.capacity_pct >= 50)
    return {PowerMode::Solar, *s.capacity_pct / 100.0, reason};
  return batteryDecision(s, batteryMinPct, reason);
}

}  // namespace vesta
