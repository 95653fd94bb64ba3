// The machine's CPU temperature: the hottest CPU sensor among /sys/class/thermal's zones and
// /sys/class/hwmon's chips. Only sensors that measure the CPU count (x86_pkg_temp, cpu-thermal
// on a Pi, coretemp, k10temp, ...): a wifi card, a battery or an NVMe drive running warm must
// not make the node lend less. ACPI's generic zone (acpitz) is a fallback for machines with no
// CPU sensor. Read under a root so tests use fixture trees.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sysstat.h"

namespace vesta {

// One sensor: where it is ("thermal_zone3", "hwmon1/temp2"), what its driver calls it, and its
// reading.
struct ThermalReading {
  std::string source;
  std::string type;  // thermal zone type or hwmon chip name
  double celsius = 0;
};

// How much a sensor's type says about the CPU: 2 a CPU sensor, 1 the fallback, 0 not the CPU.
int cpuSensorRank(const std::string& type);

// The hottest reading of the best rank present (CPU sensors, else the fallback); none when no
// sensor measures the CPU. Pure.
Thermal pickCpuThermal(const std::vector<ThermalReading>& readings);

// Every sane reading under `root`: thermal zones' type + temp, hwmon chips' name + temp*_input
// (millidegrees; negative, garbage and absurd values are skipped).
std::vector<ThermalReading> readThermalSensors(const std::string& root);

}  // namespace vesta
