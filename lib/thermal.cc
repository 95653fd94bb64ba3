#include "thermal.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace vesta {
namespace {

std::string firstLine(const std::string& root, const std::string& path) {
  std::string s = readSysFile(root, path).value_or("");
  if (auto nl = s.find_first_of("\r\n"); nl != std::string::npos) s.resize(nl);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Millidegrees Celsius, as both interfaces give them; above 200 °C no CPU runs.
std::optional<double> milliCelsius(const std::string& text) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0 || v > 200000)
    return std::nullopt;
  return static_cast<double>(v) / 1000.0;
}

}  // namespace

int cpuSensorRank(const std::string& type) {
  // Thermal zone types (x86_pkg_temp: Intel's package; cpu-thermal/cpu_thermal: Raspberry Pi and
  // other ARM boards; soc_thermal, soc-thermal: SoCs whose CPU has no zone of its own) and hwmon
  // chip names (coretemp: Intel, k10temp and zenpower: AMD, cpu_thermal: a Pi's hwmon view).
  static constexpr std::array<std::string_view, 10> kCpu = {
      "x86_pkg_temp", "cpu-thermal", "cpu_thermal", "soc_thermal", "soc-thermal",
      "coretemp",     "k10temp",     "zenpower",    "cpu",         "cpu0-thermal"};
  if (std::find(kCpu.begin(), kCpu.end(), type) != kCpu.end()) return 2;
  // Many ARM boards name one zone per cluster: cpu0-thermal, cpu1-thermal, cpu-big0-thermal...
  if (type.rfind("cpu", 0) == 0 && type.find("thermal") != std::string::npos) return 2;
  if (type == "acpitz") return 1;  // the firmware's zone: often near the CPU, not always
  return 0;
}

Thermal pickCpuThermal(const std::vector<ThermalReading>& readings) {
  Thermal t;
  int best = 0;
  for (const ThermalReading& r : readings) {
    int rank = cpuSensorRank(r.type);
    if (rank == 0 || rank < best) continue;
    if (rank > best || !t.max_celsius || r.celsius > *t.max_celsius) {
      best = rank;
      t.max_celsius = r.celsius;
      t.zone_type = r.type;
    }
  }
  return t;
}

std::vector<ThermalReading> readThermalSensors(const std::string& root) {
  std::vector<ThermalReading> out;
  const std::string zones = "/sys/class/thermal";
  for (const auto& name : listSysDir(root, zones)) {
    if (name.rfind("thermal_zone", 0) != 0) continue;
    auto c = milliCelsius(firstLine(root, zones + "/" + name + "/temp"));
    if (c) out.push_back({name, firstLine(root, zones + "/" + name + "/type"), *c});
  }
  const std::string hwmon = "/sys/class/hwmon";
  for (const auto& chip : listSysDir(root, hwmon)) {
    std::string type = firstLine(root, hwmon + "/" + chip + "/name");
    if (cpuSensorRank(type) == 0) continue;  // a disk's or a GPU's chip: not read at all
    for (const auto& file : listSysDir(root, hwmon + "/" + chip)) {
      if (file.rfind("temp", 0) != 0 || file.size() < 11 ||
          file.compare(file.size() - 6, 6, "_input") != 0)
        continue;
      if (auto c = milliCelsius(firstLine(root, hwmon + "/" + chip + "/" + file)))
        out.push_back({chip + "/" + file, type, *c});
    }
  }
  return out;
}

}  // namespace vesta
