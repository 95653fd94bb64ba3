// Which borrowed work to stop when the owner needs the memory: once MemAvailable has fallen
// into the reserve (reserve_pct of MemTotal), peers' mem jobs and commands go first, before the
// kernel's OOM killer has to choose (it might pick the owner's browser). The largest holders
// go first (the fewest stopped), the newest among equals (the least work lost), until what they
// hold would lift MemAvailable back to the reserve. The owner's own work is never a candidate.
// Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vesta {

struct MemoryHolder {
  uint64_t id = 0;
  uint64_t startedMs = 0;
  uint64_t mb = 0;  // what it holds now (a mem job's size, a command's resident set)
};

// The ids to stop now; empty while MemAvailable is at or above the reserve.
std::vector<uint64_t> memoryVictims(const std::vector<MemoryHolder>& borrowed, uint64_t availableMb,
                                    uint64_t reserveMb);

// "the owner needs the memory (MemAvailable 300 MiB, reserve 800 MiB)"
std::string memoryReason(uint64_t availableMb, uint64_t reserveMb);

}  // namespace vesta
