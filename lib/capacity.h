// What this node can give its own jobs: worker threads and memory, after the owner's reserve.
// Pure functions of the measured state and the config; placement builds on them.
#pragma once

#include <cstdint>

#include "beacon.h"
#include "config.h"
#include "power.h"
#include "result.h"
#include "sysstat.h"

namespace vesta {

// Worker threads for cpu jobs: `workers` when set, else the offered share of the cores
// (cores x cpu_offer_pct, rounded down, at least 1).
unsigned workerCount(unsigned cores, const Config& config);

// The memory reserve kept for the owner, in MiB: reserve_pct of MemTotal.
uint64_t reserveMb(const MemInfo& mem, const Config& config);

// Whether a job may take `mb` MiB now: at most mem_offer_mb and at most MemAvailable minus the
// reserve. The error says which limit and how to change it.
Result<void> admitMemory(uint64_t mb, const MemInfo& mem, const Config& config);

}  // namespace vesta

namespace vesta {

// Cores this node lends to peers now (docs/configuration.md):
// willingness x min(cores x cpu_offer_pct, cores x (1 - reserve_pct) - busy cores), at least 0.
double spareCores(unsigned cores, double busyFraction, double willingness, const Config& config);

// This node's status as its beacons carry it.
NodeSnapshot advertisedSnapshot(unsigned cores, double cpuBusy, const MemInfo& mem,
                                const PowerDecision& power, int gpus, const Config& config);

}  // namespace vesta
