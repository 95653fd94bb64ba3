#include <catch2/catch.hpp>

#include "disk_budget.h"

using vesta::arrivingRefusal;
using vesta::DiskBudget;
using vesta::DiskSpace;
using vesta::shippedRefusal;

namespace {
constexpr uint64_t kMiB = 1 << 20, kGiB = kMiB << 10;
}

TEST_CASE("shipped files must fit exec_cache_mb, whatever the disk", "[disk_budget]") {
  DiskBudget budget{10, 5};
  DiskSpace roomy{1000 * kGiB, 900 * kGiB};
  CHECK(shippedRefusal("pi4", 10 * kMiB, 10 * kMiB, budget, roomy).empty());
  CHECK(shippedRefusal("pi4", 3 * kGiB, 3 * kGiB, budget, roomy) ==
        "pi4: the --put files (3072 MiB) are more than its exec_cache_mb 10 MiB");
  // Cached already or not: the job's files are all in the cache at once.
  CHECK_FALSE(shippedRefusal("pi4", 11 * kMiB, 0, budget, roomy).empty());
  CHECK(shippedRefusal("pi4", 0, 0, DiskBudget{0, 5}, roomy).empty());
  CHECK_FALSE(shippedRefusal("pi4", 1, 1, DiskBudget{0, 5}, roomy).empty());
}

TEST_CASE("shipped files never take the disk under min_free_disk_pct", "[disk_budget]") {
  DiskBudget budget{1 << 20, 5};
  DiskSpace disk{100 * kGiB, 10 * kGiB};  // 10% free
  // 2 GiB new: 2 into the cache, 2 into the job's directory -> 6% left.
  CHECK(shippedRefusal("desk", 2 * kGiB, 2 * kGiB, budget, disk).empty());
  // 3 GiB: 6 GiB of writes -> 4% left.
  CHECK(shippedRefusal("desk", 3 * kGiB, 3 * kGiB, budget, disk) ==
        "desk: the --put files (3072 MiB) would leave its disk 4% free, under its "
        "min_free_disk_pct 5%");
  CHECK_FALSE(shippedRefusal("desk", 50 * kGiB, 50 * kGiB, budget, disk).empty());
  CHECK(shippedRefusal("desk", 3 * kGiB, 3 * kGiB, DiskBudget{1 << 20, 0}, disk).empty());
  // An unknown disk refuses nothing; an exabyte one does not overflow.
  CHECK(shippedRefusal("desk", kGiB, kGiB, budget, DiskSpace{}).empty());
  DiskSpace huge{UINT64_MAX, UINT64_MAX / 2};
  CHECK(shippedRefusal("desk", kGiB, kGiB, budget, huge).empty());
}

TEST_CASE("a transfer stops when what arrives grows past the budget", "[disk_budget]") {
  DiskBudget budget{10, 5};
  DiskSpace disk{100 * kGiB, 50 * kGiB};
  CHECK(arrivingRefusal("pi4", 10 * kMiB, kMiB, budget, disk).empty());
  CHECK(arrivingRefusal("pi4", 10 * kMiB + 1, kMiB, budget, disk) ==
        "pi4: shipped files arriving at once grew past its exec_cache_mb 10 MiB");
  DiskSpace full{100 * kGiB, 5 * kGiB};
  CHECK(arrivingRefusal("pi4", kMiB, kMiB, budget, full) ==
        "pi4: its disk fell to 4% free while files arrived, under its min_free_disk_pct 5%");
}
