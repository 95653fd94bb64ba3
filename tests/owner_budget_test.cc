// The owner-first pieces of lane B: which sensor is the CPU's, whether someone is at the
// keyboard, the budget's words, and the table of fixture budgets in docs/configuration.md,
// checked row by row against the fixture trees it names.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include "budget_text.h"
#include "config.h"
#include "lending_budget.h"
#include "power.h"
#include "presence.h"
#include "sysstat.h"
#include "test_util.h"
#include "thermal.h"

using namespace vesta;

namespace {

std::vector<std::string> cellsOf(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream in(row);
  std::string cell;
  std::getline(in, cell, '|');  // before the first bar
  while (std::getline(in, cell, '|')) {
    while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
    while (!cell.empty() && cell.back() == ' ') cell.pop_back();
    if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`')
      cell = cell.substr(1, cell.size() - 2);
    cells.push_back(cell);
  }
  if (!cells.empty() && cells.back().empty()) cells.pop_back();  // after the last bar
  return cells;
}

// The rows of the table between the owner-fixtures markers, without its header.
std::vector<std::vector<std::string>> fixtureTable() {
  const char* root = std::getenv("VESTA_SOURCE_ROOT");
  std::string doc = readText(std::string(root ? root : ".") + "/docs/configuration.md");
  auto begin = doc.find("<!-- owner-fixtures:"), end = doc.find("<!-- /owner-fixtures -->");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::vector<std::vector<std::string>> rows;
  std::stringstream in(doc.substr(begin, end - begin));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| ", 0) != 0 || line.rfind("| fixture", 0) == 0 || line.rfind("| ---", 0) == 0)
      continue;
    rows.push_back(cellsOf(line));
  }
  return rows;
}

}  // namespace

TEST_CASE("only CPU sensors count, the hottest of the best kind", "[thermal]") {
  CHECK(cpuSensorRank("x86_pkg_temp") == 2);
  CHECK(cpuSensorRank("cpu-thermal") == 2);
  CHECK(cpuSensorRank("cpu1-thermal") == 2);
  CHECK(cpuSensorRank("k10temp") == 2);
  CHECK(cpuSensorRank("acpitz") == 1);
  for (const char* other :
       {"iwlwifi_1", "INT3400 Thermal", "BAT0", "nvme", "amdgpu", "pch_skylake"})
    CHECK(cpuSensorRank(other) == 0);
  auto t = pickCpuThermal({{"thermal_zone0", "acpitz", 90},
                           {"thermal_zone1", "x86_pkg_temp", 61},
                           {"z2", "iwlwifi", 99}});
  REQUIRE(t.max_celsius);
  CHECK(*t.max_celsius == 61);  // the firmware's zone is only a fallback
  CHECK(t.zone_type == "x86_pkg_temp");
  CHECK(*pickCpuThermal({{"a", "acpitz", 50}, {"b", "acpitz", 55}}).max_celsius == 55);
  CHECK_FALSE(pickCpuThermal({{"a", "iwlwifi", 50}}).max_celsius);
  CHECK_FALSE(pickCpuThermal({}).max_celsius);
}

TEST_CASE("thermal fixture trees: zones and hwmon, garbage skipped", "[thermal]") {
  auto k10 = readThermalSensors(dataPath("owner/k10temp"));
  CHECK(k10.size() == 2);  // the nvme chip is not read at all
  CHECK(*readThermal(dataPath("owner/k10temp")).max_celsius == Approx(77.5));
  CHECK(*readThermal(dataPath("owner/hot-wifi")).max_celsius == Approx(50));
  CHECK(readThermal(dataPath("owner/hot-wifi")).zone_type == "x86_pkg_temp");
  CHECK_FALSE(readThermal(dataPath("owner/no-sensor")).max_celsius);
  TempDir d;
  std::filesystem::create_directories(d.path + "/sys/class/thermal/thermal_zone0");
  std::ofstream(d.path + "/sys/class/thermal/thermal_zone0/type") << "x86_pkg_temp\n";
  std::ofstream(d.path + "/sys/class/thermal/thermal_zone0/temp") << "-5000\n";
  CHECK_FALSE(readThermal(d.path).max_celsius);  // a negative reading is no reading
  std::ofstream(d.path + "/sys/class/thermal/thermal_zone0/temp") << "hot\n";
  CHECK_FALSE(readThermal(d.path).max_celsius);
}

TEST_CASE("logind's idle hints: active now, recently, or away", "[presence]") {
  uint64_t now = 1'700'000'000'000'000;
  CHECK(presenceFrom(false, 0, now, 180) == UserPresence::Active);
  CHECK(presenceFrom(true, now - 179'000'000, now, 180) == UserPresence::Active);
  CHECK(presenceFrom(true, now - 180'000'000, now, 180) == UserPresence::Away);
  CHECK(presenceFrom(true, now + 5'000'000, now, 180) == UserPresence::Active);  // clock step
  CHECK(presenceFrom(true, 0, now, 180) == UserPresence::Away);                  // idle since boot
  CHECK(presenceFrom(true, now, now, 0) == UserPresence::Away);  // idle_after_s 0: idle is away
  for (auto p : {UserPresence::Unknown, UserPresence::Active, UserPresence::Away})
    CHECK(parseUserPresence(userPresenceName(p)) == p);
  CHECK_FALSE(parseUserPresence("idle"));
}

TEST_CASE("the owner line says the loads, the offer, the budget and what cut it", "[budget]") {
  api::NodeInfo n;
  n.cores = 4;
  n.ownerCpuPct = 35;
  n.borrowedCpuPct = 40;
  n.offerCores = 3;
  n.lendingBudgetCores = 3;
  n.willingness = 1;
  n.thermalFactor = 1;
  n.temperatureC = 50;
  CHECK(ownerLine(n) == "owner 35%, lending 40% of 75% offered; budget 3.0 cores");
  n.temperatureC = 76;
  n.thermalFactor = 0.4;
  n.lendingBudgetCores = 1.2;
  CHECK(ownerLine(n) ==
        "owner 35%, lending 40% of 75% offered; budget 1.2 cores (hot 76 °C: lends 40%)");
  n.powerMode = "solar";
  n.willingness = 0.6;
  n.lendingBudgetCores = 0.4;  // 0.6 x 0.4 x min(3, 3.2 - 1.4 owner's) = 0.43
  CHECK(budgetCuts(n) ==
        "hot 76 °C: lends 40%; solar: lends 60%; owner's load 35% leaves 0.4 above the reserve");
  n.userPresence = "active";
  n.budgetSummary = "owner 1.4 cores, lending 0.0 of 3.0 offered; in use: offer 0%";
  n.offerCores = 0;
  n.lendingBudgetCores = 0;
  CHECK_THAT(budgetCuts(n), Catch::Contains("in use: offer 0%"));
  CHECK(heatNote(-1, 0) == "");  // no sensor: no note
  CHECK(heatNote(65, 1) == "");
}

TEST_CASE("the fixture table of docs/configuration.md: willingness, thermal factor and budget",
          "[budget]") {
  auto rows = fixtureTable();
  REQUIRE(rows.size() >= 10);
  Config c;  // the defaults the table states
  for (const auto& row : rows) {
    REQUIRE(row.size() == 7);
    INFO("fixture " << row[0]);
    std::string root = dataPath("owner/" + row[0]);
    REQUIRE(std::filesystem::is_directory(root));
    Thermal heat = readThermal(root);
    if (row[2] == "none")
      CHECK_FALSE(heat.max_celsius);
    else
      CHECK(heat.max_celsius.value_or(-1) == Approx(std::stod(row[2])));
    PowerDecision power =
        decidePower(summarizePower(readPowerSupplies(root)), c.power, c.battery_min_pct);
    CHECK(powerModeName(power.mode) == row[3]);
    BudgetInputs in;
    in.cores = static_cast<unsigned>(
        parseProcStat(readSysFile(root, "/proc/stat").value_or("")).cores.size());
    in.willingness = power.willingness;
    in.hottestCelsius = heat.max_celsius;
    in.cpuOfferPct = c.cpu_offer_pct;
    in.reservePct = c.reserve_pct;
    in.thermalSoftCelsius = c.thermal_soft_c;
    in.thermalHardCelsius = c.thermal_hard_c;
    LendingBudget b = computeBudget(in);
    CHECK(in.cores == 4);
    CHECK(power.willingness == Approx(std::stod(row[4])).margin(0.006));
    CHECK(b.thermalFactor == Approx(std::stod(row[5])).margin(0.006));
    CHECK(b.cores == Approx(std::stod(row[6])).margin(0.006));
  }
}
