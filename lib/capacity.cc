#include "capacity.h"

#include <algorithm>
#include <cmath>

namespace vesta {

unsigned workerCount(unsigned cores, const Config& config) {
  if (config.workers > 0) return config.workers;
  double offered = std::round(cores * config.cpu_offer_pct / 100.0);
  return offered < 1 ? 1u : static_cast<unsigned>(offered);
}

uint64_t reserveMb(const MemInfo& mem, const Config& config) {
  return mem.total_kb / 1024 * config.reserve_pct / 100;
}

Result<void> admitMemory(uint64_t mb, const MemInfo& mem, const Config& config) {
  if (mb > config.mem_offer_mb)
    return fail(std::to_string(mb) + " MiB is more than mem_offer_mb " +
                std::to_string(config.mem_offer_mb) +
                " MiB; ask for less or raise mem_offer_mb in the node's config");
  uint64_t availableMb = mem.available_kb / 1024;
  uint64_t reserve = reserveMb(mem, config);
  uint64_t room = availableMb > reserve ? availableMb - reserve : 0;
  if (mb > room)
    return fail(std::to_string(mb) + " MiB would eat into the owner's reserve: " +
                std::to_string(availableMb) + " MiB available, " + std::to_string(reserve) +
                " MiB reserved (reserve_pct " + std::to_string(config.reserve_pct) +
                "), so at most " + std::to_string(room) + " MiB fits now");
  return {};
}

}  // namespace vesta

namespace vesta {

double spareCores(unsigned cores, double busyFraction, double willingness, const Config& config) {
  double offered = cores * config.cpu_offer_pct / 100.0;
  double beforeReserve = cores * (1.0 - config.reserve_pct / 100.0) - busyFraction * cores;
  double spare = willingness * std::min(offered, beforeReserve);
  return spare > 0 ? spare : 0;
}

}  // namespace vesta
