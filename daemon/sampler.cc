#include "sampler.h"

#include <unistd.h>

#include <algorithm>

namespace vesta {
namespace {

// Power and temperature change over minutes; read them every few samples only.
constexpr unsigned kSlowEvery = 5;

}  // namespace

Sampler::Sampler(uv_loop_t* loop, const Config& config, std::function<void()> onSample)
    : config_(config), timer_(loop), onSample_(std::move(onSample)) {}

void Sampler::start(uint64_t intervalMs) {
  last_ = parseProcStat(readSysFile(config_.sysroot, "/proc/stat").value_or(""));
  status_.gpus = readGpus(config_.sysroot).count;
  readSlowChanging();
  sample();  // memory and power now; the CPU share needs a second reading
  timer_.start(std::min<uint64_t>(intervalMs, 250), intervalMs, [this] { sample(); });
}

void Sampler::readSlowChanging() {
  auto supplies = readPowerSupplies(config_.sysroot);
  PowerState state = summarizePower(supplies);
  status_.power = decidePower(state, config_.power, config_.battery_min_pct);
  status_.battery_pct = state.has_battery ? state.capacity_pct : std::nullopt;
  status_.temperature_c = readThermal(config_.sysroot).max_celsius;
}

void Sampler::sample() {
  ProcStat now = parseProcStat(readSysFile(config_.sysroot, "/proc/stat").value_or(""));
  CpuLoad load = cpuLoadBetween(last_, now);
  if (!now.cores.empty()) {
    status_.cores = static_cast<unsigned>(now.cores.size());
  } else if (long n = ::sysconf(_SC_NPROCESSORS_ONLN); n > 0) {
    status_.cores = static_cast<unsigned>(n);  // a /proc/stat without per-core lines
  }
  status_.cpu = load.total;
  status_.per_core = load.per_core;
  last_ = now;
  status_.mem = parseMeminfo(readSysFile(config_.sysroot, "/proc/meminfo").value_or(""));
  if (++tick_ % kSlowEvery == 0) readSlowChanging();
  if (onSample_) onSample_();
}

}  // namespace vesta
