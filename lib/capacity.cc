#include "capacity.h"

#include <algorithm>
#include <cmath>

#include "admission.h"

namespace vesta {

unsigned workerCount(unsigned cores, const Config& config) {
  if (config.workers > 0) return config.workers;
  // Never rounded up: 1.5 cores offered are 1 worker for the owner's own jobs; at least 1, so
  // they run.
  double offered = std::floor(cores * config.cpu_offer_pct / 100.0 + 1e-9);
  return offered < 1 ? 1u : static_cast<unsigned>(offered);
}

unsigned borrowedWorkerCount(unsigned cores, const Config& config) {
  if (config.workers > 0) return config.workers;
  double offered = std::ceil(cores * config.cpu_offer_pct / 100.0 - 1e-9);
  return offered < 1 ? 1u : static_cast<unsigned>(offered);
}

uint64_t reserveMb(const MemInfo& mem, const Config& config) {
  return mem.total_kb / 1024 * config.reserve_pct / 100;
}

Result<void> admitMemory(uint64_t mb, const MemInfo& mem, const Config& config) {
  return memoryFits(mb, config.mem_offer_mb, mem.available_kb / 1024, reserveMb(mem, config),
                    config.reserve_pct);
}

}  // namespace vesta

namespace vesta {

NodeSnapshot advertisedSnapshot(unsigned cores, double cpuBusy, const MemInfo& mem,
                                const PowerDecision& power, int gpus, const Config& config,
                                const LendingBudget& budget, std::optional<double> celsius) {
  NodeSnapshot snap;
  snap.cores = static_cast<uint16_t>(std::min(cores, 65535u));
  snap.cpu_permille = static_cast<uint16_t>(std::lround(cpuBusy * 1000));
  snap.mem_available_mb = static_cast<uint32_t>(mem.available_kb / 1024);
  snap.mem_offer_mb = config.mem_offer_mb;
  snap.spare_millicores = static_cast<uint32_t>(std::lround(std::max(0.0, budget.cores) * 1000));
  snap.power = power.mode;
  snap.willingness_permille = static_cast<uint16_t>(std::lround(power.willingness * 1000));
  snap.gpus = static_cast<uint8_t>(std::min(gpus, 255));
  // Heat (beacon version 3): what cut the budget, for the peers' "hot 76 °C: lends 40%".
  if (celsius)
    snap.temp_decicelsius =
        static_cast<uint16_t>(std::clamp(std::lround(*celsius * 10), 0L, long{kNoTemperature - 1}));
  snap.thermal_permille =
      static_cast<uint16_t>(std::lround(std::clamp(budget.thermalFactor, 0.0, 1.0) * 1000));
  return snap;
}

}  // namespace vesta
