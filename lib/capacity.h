// What this node can give its own jobs: worker threads and memory, after the owner's reserve.
// Pure functions of the measured state and the config; placement builds on them.
#pragma once

#include <cstdint>
#include <optional>

#include "beacon.h"
#include "config.h"
#include "lending_budget.h"
#include "power.h"
#include "result.h"
#include "sysstat.h"

namespace vesta {

// Worker threads for the owner's cpu jobs: `workers` when set, else the offered share of the
// cores (cores x cpu_offer_pct, rounded down, at least 1).
unsigned workerCount(unsigned cores, const Config& config);
// Threads for borrowed chunks: `workers` when set, else the offered share of the cores rounded
// up (1.5 cores are two threads, the second hashing half the time), at least 1.
unsigned borrowedWorkerCount(unsigned cores, const Config& config);

// The memory reserve kept for the owner, in MiB: reserve_pct of MemTotal.
uint64_t reserveMb(const MemInfo& mem, const Config& config);

// Whether a job may take `mb` MiB now: at most mem_offer_mb and at most MemAvailable minus the
// reserve. The error says which limit and how to change it.
Result<void> admitMemory(uint64_t mb, const MemInfo& mem, const Config& config);

}  // namespace vesta

namespace vesta {

// This node's status as its beacons carry it. The spare cores it advertises are its lending
// budget (lib/lending_budget, recomputed every sample); the heat that cut it travels too, so a
// peer can say why ("hot 76 °C: lends 40%").
NodeSnapshot advertisedSnapshot(unsigned cores, double cpuBusy, const MemInfo& mem,
                                const PowerDecision& power, int gpus, const Config& config,
                                const LendingBudget& budget, std::optional<double> celsius);

}  // namespace vesta
