#include <catch2/catch.hpp>

#include "power.h"
#include "sysstat.h"
#include "test_util.h"

using vesta::PowerMode;

TEST_CASE("power modes and willingness from real fixture trees", "[power]") {
  struct Case {
    const char* tree;
    std::string forced;
    PowerMode mode;
    double willingness;
  };
  Case cases[] = {
      {"no-battery", "auto", PowerMode::Grid, 1.0},
      {"mains-only", "auto", PowerMode::Grid, 1.0},
      {"charging", "auto", PowerMode::Grid, 1.0},
      {"ac-online-discharging", "auto", PowerMode::Grid, 1.0},
      {"solar-80", "auto", PowerMode::Solar, 0.80},
      {"battery-30", "auto", PowerMode::Battery, 0.35},
      {"battery-10", "auto", PowerMode::Battery, 0.0},  // below battery_min_pct 15
      {"missing-capacity", "auto", PowerMode::Battery, 0.35},
      {"mouse-battery", "auto", PowerMode::Grid, 1.0},
      {"battery-10", "grid", PowerMode::Grid, 1.0},
      {"no-battery", "battery", PowerMode::Battery, 0.35},
      {"battery-10", "battery", PowerMode::Battery, 0.0},
      {"solar-80", "solar", PowerMode::Solar, 0.80},
      {"no-battery", "solar", PowerMode::Solar, 1.0},
  };
  for (auto& c : cases) {
    CAPTURE(c.tree, c.forced);
    auto state =
        vesta::summarizePower(vesta::readPowerSupplies(dataPath(std::string("power/") + c.tree)));
    auto d = vesta::decidePower(state, c.forced, 15);
    CHECK(d.mode == c.mode);
    CHECK(d.willingness == Approx(c.willingness));
    CHECK_FALSE(d.reason.empty());
  }
}

TEST_CASE("the battery minimum is a setting", "[power]") {
  vesta::PowerState s;
  s.has_battery = true;
  s.discharging = true;
  s.capacity_pct = 20;
  CHECK(vesta::decidePower(s, "auto", 15).willingness == Approx(0.35));
  CHECK(vesta::decidePower(s, "auto", 25).willingness == 0);
  CHECK_THAT(vesta::decidePower(s, "auto", 25).reason, Catch::Contains("battery_min_pct 25"));
  s.capacity_pct = 50;  // exactly 50% is solar
  CHECK(vesta::decidePower(s, "auto", 15).mode == PowerMode::Solar);
  CHECK(vesta::decidePower(s, "auto", 15).willingness == Approx(0.5));
}
