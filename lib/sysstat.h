// Parsers for the machine's live state in /proc and /sys, all read under a root directory so
// tests can use fixture trees. Hostile input (truncated, missing, going backwards) gives sane
// values, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vesta {

// Jiffies spent busy and in total by one CPU line of /proc/stat.
struct CpuTimes {
  uint64_t busy = 0;
  uint64_t total = 0;
};

struct ProcStat {
  CpuTimes all;                 // the "cpu" line
  std::vector<CpuTimes> cores;  // "cpu0", "cpu1", ... in order of appearance
};

// Parses /proc/stat text. Lines that are not cpu lines, or are malformed, are skipped.
ProcStat parseProcStat(std::string_view text);

// Busy share 0..1 between two samples; 0 when no time passed or the counters went backwards.
double busyFraction(const CpuTimes& before, const CpuTimes& after);

struct CpuLoad {
  double total = 0;              // 0..1 over all cores
  std::vector<double> per_core;  // 0..1 each
};

// Load between two samples, per core where both samples have that core.
CpuLoad cpuLoadBetween(const ProcStat& before, const ProcStat& after);

struct MemInfo {
  uint64_t total_kb = 0;
  uint64_t available_kb = 0;
};

// Parses /proc/meminfo. Without MemAvailable (old kernels) it estimates from
// MemFree + Buffers + Cached. Available never exceeds total.
MemInfo parseMeminfo(std::string_view text);

// One entry of /sys/class/power_supply.
struct PowerSupply {
  std::string name;
  std::string type;                  // Battery, Mains, USB, ...
  std::string status;                // Charging, Discharging, Full, Not charging, Unknown
  std::optional<int> capacity;       // percent 0..100
  std::optional<bool> online;        // for Mains/USB
  std::optional<std::string> scope;  // "Device" for a mouse's battery: not the machine's
};

// What the supplies say about this machine as a whole.
struct PowerState {
  bool has_battery = false;
  bool on_ac = false;        // some mains/USB supply is online
  bool discharging = false;  // the system battery is discharging
  std::optional<int> capacity_pct;
};

PowerState summarizePower(const std::vector<PowerSupply>& supplies);

struct Thermal {
  std::optional<double> max_celsius;  // the hottest CPU sensor (lib/thermal picks which)
  std::string zone_type;              // its type, e.g. x86_pkg_temp
};

struct GpuInfo {
  int count = 0;
  std::vector<std::string> drivers;  // e.g. "nvidia", "amdgpu", "i915", "vc4"
};

// `path` under the sysroot `root` (tests pass fixture trees; "/" is the machine itself).
std::string sysPath(const std::string& root, const std::string& path);
// The entries of the directory `dir` under `root`, sorted, without dot files; none if missing.
std::vector<std::string> listSysDir(const std::string& root, const std::string& dir);

// Reads a file under `root` (e.g. root "/tmp/fixture", path "/proc/stat"), at most 1 MiB.
std::optional<std::string> readSysFile(const std::string& root, const std::string& path);

std::vector<PowerSupply> readPowerSupplies(const std::string& root);
Thermal readThermal(const std::string& root);
GpuInfo readGpus(const std::string& root);

}  // namespace vesta
