#include "disk_budget.h"

namespace vesta {
namespace {

std::string mib(uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

// The share of the file system left free after writing `need` more bytes, in percent. Long
// double: bytes x 100 overflows 64 bits on a file system of exabytes.
long double freePctAfter(uint64_t need, const DiskSpace& disk) {
  uint64_t left = need >= disk.available ? 0 : disk.available - need;
  return static_cast<long double>(left) * 100 / static_cast<long double>(disk.total);
}

// An unknown disk (total 0) refuses nothing.
bool belowFloor(uint64_t need, uint32_t minFreePct, const DiskSpace& disk) {
  return disk.total != 0 && freePctAfter(need, disk) < minFreePct;
}

std::string freeAfter(uint64_t need, const DiskSpace& disk) {
  return std::to_string(static_cast<unsigned>(freePctAfter(need, disk))) + "%";
}

}  // namespace

std::string shippedRefusal(const std::string& node, uint64_t totalBytes, uint64_t newBytes,
                           const DiskBudget& budget, const DiskSpace& disk) {
  uint64_t cap = budget.cacheMb << 20;
  if (totalBytes > cap)
    return node + ": the --put files (" + mib(totalBytes) + ") are more than its exec_cache_mb " +
           std::to_string(budget.cacheMb) + " MiB";
  uint64_t need = newBytes + totalBytes;  // into the cache, then copied into the job's directory
  if (belowFloor(need, budget.minFreePct, disk))
    return node + ": the --put files (" + mib(totalBytes) + ") would leave its disk " +
           freeAfter(need, disk) + " free, under its min_free_disk_pct " +
           std::to_string(budget.minFreePct) + "%";
  return "";
}

std::string arrivingRefusal(const std::string& node, uint64_t arriving, uint64_t pieceBytes,
                            const DiskBudget& budget, const DiskSpace& disk) {
  if (arriving > budget.cacheMb << 20)
    return node + ": shipped files arriving at once grew past its exec_cache_mb " +
           std::to_string(budget.cacheMb) + " MiB";
  if (belowFloor(pieceBytes, budget.minFreePct, disk))
    return node + ": its disk fell to " + freeAfter(pieceBytes, disk) +
           " free while files arrived, under its min_free_disk_pct " +
           std::to_string(budget.minFreePct) + "%";
  return "";
}

}  // namespace vesta
