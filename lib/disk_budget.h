// Whether files shipped with `vesta exec --put` may land on this node: the announced sizes
// against exec_cache_mb when a job is offered, what is arriving against it while files
// transfer, and the state directory's file system against min_free_disk_pct in both. Pure: the
// caller measures the disk (statvfs). Each refusal names the node, the figure and the field.
#pragma once

#include <cstdint>
#include <string>

namespace vesta {

struct DiskSpace {
  uint64_t total = 0;      // bytes of the file system
  uint64_t available = 0;  // bytes an unprivileged writer may still take
};

struct DiskBudget {
  uint64_t cacheMb = 0;     // exec_cache_mb
  uint32_t minFreePct = 0;  // min_free_disk_pct
};

// A job offered with shipped files of `totalBytes` in all, `newBytes` of them not cached yet
// (they arrive into the cache, and every file is copied into the job's directory). Empty when
// it fits.
std::string shippedRefusal(const std::string& node, uint64_t totalBytes, uint64_t newBytes,
                           const DiskBudget& budget, const DiskSpace& disk);

// While files arrive: `arriving` bytes held by every unfinished transfer once the next piece of
// `pieceBytes` is written. Empty when it may be written.
std::string arrivingRefusal(const std::string& node, uint64_t arriving, uint64_t pieceBytes,
                            const DiskBudget& budget, const DiskSpace& disk);

}  // namespace vesta
