#include "sysstat.h"

#include "gpus.h"

#include <dirent.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>

#include "thermal.h"

namespace vesta {
namespace {

std::vector<std::string_view> splitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::optional<uint64_t> toU64(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename Fn>
void forEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    fn(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

std::string sysPath(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}

std::vector<std::string> listSysDir(const std::string& root, const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(sysPath(root, dir).c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n[0] != '.') names.push_back(n);  // also skips ".", ".." and hidden files
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

ProcStat parseProcStat(std::string_view text) {
  ProcStat out;
  forEachLine(text, [&](std::string_view line) {
    auto words = splitWords(line);
    if (words.size() < 5 || words[0].substr(0, 3) != "cpu") return;
    // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user/nice).
    uint64_t fields[8] = {};
    size_t n = std::min<size_t>(words.size() - 1, 8);
    for (size_t i = 0; i < n; ++i) {
      auto v = toU64(words[i + 1]);
      if (!v) return;
      fields[i] = *v;
    }
    CpuTimes t;
    uint64_t idle = fields[3] + fields[4];
    for (uint64_t f : fields) t.total += f;
    t.busy = t.total - idle;
    if (words[0] == "cpu") {
      out.all = t;
    } else if (toU64(words[0].substr(3))) {
      out.cores.push_back(t);
    }
  });
  return out;
}

double busyFraction(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return 0;
  double total = static_cast<double>(after.total - before.total);
  double busy = static_cast<double>(after.busy - before.busy);
  return std::clamp(busy / total, 0.0, 1.0);
}

CpuLoad cpuLoadBetween(const ProcStat& before, const ProcStat& after) {
  CpuLoad load;
  load.total = busyFraction(before.all, after.all);
  size_t n = std::min(before.cores.size(), after.cores.size());
  for (size_t i = 0; i < n; ++i)
    load.per_core.push_back(busyFraction(before.cores[i], after.cores[i]));
  // A kernel without per-core lines still has a total; report it as one core.
  if (load.per_core.empty() && after.all.total > 0) load.per_core.push_back(load.total);
  return load;
}

MemInfo parseMeminfo(std::string_view text) {
  MemInfo m;
  std::optional<uint64_t> available;
  uint64_t freeKb = 0, buffers = 0, cached = 0;
  forEachLine(text, [&](std::string_view line) {
    auto words = splitWords(line);
    if (words.size() < 2) return;
    auto v = toU64(words[1]);
    if (!v) return;
    if (words[0] == "MemTotal:")
      m.total_kb = *v;
    else if (words[0] == "MemAvailable:")
      available = *v;
    else if (words[0] == "MemFree:")
      freeKb = *v;
    else if (words[0] == "Buffers:")
      buffers = *v;
    else if (words[0] == "Cached:")
      cached = *v;
  });
  m.available_kb = available ? *available : freeKb + buffers + cached;
  m.available_kb = std::min(m.available_kb, m.total_kb);
  return m;
}

PowerState summarizePower(const std::vector<PowerSupply>& supplies) {
  PowerState s;
  for (const auto& p : supplies) {
    if (p.type == "Battery") {
      if (p.scope && *p.scope == "Device") continue;  // a peripheral's battery
      if (s.has_battery) continue;                    // the first system battery decides
      s.has_battery = true;
      s.discharging = p.status == "Discharging";
      if (p.capacity) s.capacity_pct = std::clamp(*p.capacity, 0, 100);
    } else if (p.online && *p.online) {
      s.on_ac = true;
    }
  }
  return s;
}

std::optional<std::string> readSysFile(const std::string& root, const std::string& path) {
  std::ifstream in(sysPath(root, path), std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > (1u << 20)) break;
  }
  return text;
}

std::vector<PowerSupply> readPowerSupplies(const std::string& root) {
  std::vector<PowerSupply> out;
  const std::string base = "/sys/class/power_supply";
  for (const auto& name : listSysDir(root, base)) {
    auto field = [&](const char* f) -> std::optional<std::string> {
      auto t = readSysFile(root, base + "/" + name + "/" + f);
      if (!t) return std::nullopt;
      return trim(*t);
    };
    PowerSupply p;
    p.name = name;
    p.type = field("type").value_or("");
    p.status = field("status").value_or("Unknown");
    p.scope = field("scope");
    if (auto c = field("capacity"); c && toU64(*c))
      p.capacity = static_cast<int>(std::min<uint64_t>(*toU64(*c), 100));
    if (auto o = field("online"); o && toU64(*o)) p.online = *toU64(*o) != 0;
    out.push_back(std::move(p));
  }
  return out;
}

// The CPU's sensors only, hottest first (lib/thermal): not the wifi card's or the battery's.
Thermal readThermal(const std::string& root) {
  return pickCpuThermal(readThermalSensors(root));
}

GpuInfo readGpus(const std::string& root) {
  GpuInfo g;
  std::set<std::string> drivers;
  for (const auto& gpu : readGpuList(root)) {
    ++g.count;
    if (!gpu.driver.empty()) drivers.insert(gpu.driver);
  }
  g.drivers.assign(drivers.begin(), drivers.end());
  return g;
}

}  // namespace vesta
