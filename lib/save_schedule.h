// When to write a state file that must be current soon after a change, yet not be written
// (and fsync'd, on the daemon's one loop) once per change: a fan-out of short jobs ends
// hundreds a second, and an SD card's fsync takes milliseconds. Pure; the caller's clock.
#pragma once

#include <cstdint>
#include <optional>

namespace vesta {

struct SaveTiming {
  uint64_t urgentGapMs = 200;  // an urgent change waits at most this long after the last one
  uint64_t coalesceMs = 1000;  // any other change is written within this
};

// How long from `nowMs` the next write should wait (0: write now), given whether this change
// is urgent (a job that ended) and when an urgent change was last written (none yet: never).
// Only urgent writes count: the coalesced ones of work still running never delay an ending.
uint64_t saveDelayMs(uint64_t nowMs, std::optional<uint64_t> lastUrgentWriteMs, bool urgent,
                     const SaveTiming& timing = {});

}  // namespace vesta
