#include "memory_reserve.h"

#include <algorithm>

namespace vesta {

std::vector<uint64_t> memoryVictims(const std::vector<MemoryHolder>& borrowed, uint64_t availableMb,
                                    uint64_t reserveMb) {
  std::vector<uint64_t> out;
  if (availableMb >= reserveMb) return out;
  std::vector<const MemoryHolder*> order;
  for (auto& h : borrowed) order.push_back(&h);
  std::sort(order.begin(), order.end(), [](const MemoryHolder* a, const MemoryHolder* b) {
    if (a->mb != b->mb) return a->mb > b->mb;
    return a->startedMs != b->startedMs ? a->startedMs > b->startedMs : a->id > b->id;
  });
  uint64_t deficit = reserveMb - availableMb, freed = 0;
  for (auto* h : order) {
    if (freed >= deficit) break;
    out.push_back(h->id);
    freed += h->mb;
  }
  return out;
}

std::string memoryReason(uint64_t availableMb, uint64_t reserveMb) {
  return "the owner needs the memory (MemAvailable " + std::to_string(availableMb) +
         " MiB, reserve " + std::to_string(reserveMb) + " MiB)";
}

}  // namespace vesta
