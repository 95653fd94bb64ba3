#include "save_schedule.h"

namespace vesta {

uint64_t saveDelayMs(uint64_t nowMs, std::optional<uint64_t> lastUrgentWriteMs, bool urgent,
                     const SaveTiming& timing) {
  if (!urgent) return timing.coalesceMs;
  // The first urgent change after a quiet spell is written at once: a lone job that ends is on
  // disk the moment it ends. Only a burst waits, and only for the rest of the gap.
  if (!lastUrgentWriteMs || nowMs < *lastUrgentWriteMs ||
      nowMs - *lastUrgentWriteMs >= timing.urgentGapMs)
    return 0;
  return timing.urgentGapMs - (nowMs - *lastUrgentWriteMs);
}

}  // namespace vesta
