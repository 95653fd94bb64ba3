#include "sampler.h"

#include <unistd.h>

#include <algorithm>

#include "platform.h"

namespace vesta {
namespace {

// Power and temperature change over minutes; read them every few samples only (5 s at the
// default interval: a CPU heats past thermal_soft_c in tens of seconds, not in one).
constexpr unsigned kSlowEvery = 5;

}  // namespace

Sampler::Sampler(uv_loop_t* loop, const Config& config, std::function<void()> onSample,
                 Sources sources)
    : config_(config),
      loop_(loop),
      timer_(loop),
      onSample_(std::move(onSample)),
      sources_(std::move(sources)) {}

void Sampler::start(uint64_t intervalMs) {
  last_ = parseProcStat(readSysFile(config_.sysroot, "/proc/stat").value_or(""));
  status_.platform = readPlatform(config_.sysroot);
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
  status_.gpu_list = readGpuList(config_.sysroot);
  status_.gpus = static_cast<int>(status_.gpu_list.size());
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
  uv_update_time(loop_);
  uint64_t nowMs = uv_now(loop_);
  updateBudget(lastSampleMs_ ? static_cast<double>(nowMs - lastSampleMs_) / 1000.0 : 0);
  lastSampleMs_ = nowMs;
  if (onSample_) onSample_();
}

void Sampler::updateBudget(double elapsedSeconds) {
  double borrowed = sources_.borrowedCpuSeconds ? sources_.borrowedCpuSeconds() : 0;
  if (elapsedSeconds > 0)
    status_.borrowedBusyCores = std::max(0.0, borrowed - lastBorrowedCpuSeconds_) / elapsedSeconds;
  lastBorrowedCpuSeconds_ = borrowed;
  status_.user = sources_.user ? sources_.user() : UserPresence::Unknown;
  BudgetInputs in;
  in.cores = status_.cores;
  in.machineBusyCores = status_.cpu * status_.cores;
  in.borrowedBusyCores = status_.borrowedBusyCores;
  in.willingness = status_.power.willingness;
  in.hottestCelsius = status_.temperature_c;
  in.user = status_.user;
  in.cpuOfferPct = config_.cpu_offer_pct;
  in.reservePct = config_.reserve_pct;
  in.inUseOfferPct = config_.in_use_offer_pct;
  in.thermalSoftCelsius = config_.thermal_soft_c;
  in.thermalHardCelsius = config_.thermal_hard_c;
  status_.budget = computeBudget(in);
}

}  // namespace vesta
