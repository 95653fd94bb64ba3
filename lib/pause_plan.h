// Which borrowed commands to pause, resume or stop as the lending budget moves: beyond the
// budget the newest are paused first; they resume, oldest first, once the budget has had room
// for them for `resumeAfterMs` without a break (so a burst of the owner's work does not make
// them flap); one paused longer than `maxPauseMs` is stopped, so its submitter can run it
// elsewhere (HTCondor's MaxSuspendTime). On an injected clock; the runner acts on the plan. Pure.
#pragma once

#include <cstdint>
#include <vector>

namespace vesta {

struct BorrowedCommand {
  uint64_t id = 0;
  uint64_t startedMs = 0;
  bool paused = false;
  uint64_t pausedSinceMs = 0;  // when paused
};

struct PausePlan {
  std::vector<uint64_t> pause, resume, stop;
  bool empty() const { return pause.empty() && resume.empty() && stop.empty(); }
};

class PausePolicy {
 public:
  PausePolicy(uint64_t resumeAfterMs, uint64_t maxPauseMs)
      : resumeAfterMs_(resumeAfterMs), maxPauseMs_(maxPauseMs) {}
  // `slots`: how many borrowed commands may run now (the budget's whole cores).
  PausePlan plan(const std::vector<BorrowedCommand>& commands, unsigned slots, uint64_t nowMs);

 private:
  uint64_t resumeAfterMs_, maxPauseMs_;
  bool hadRoom_ = false;
  uint64_t roomSinceMs_ = 0;
};

}  // namespace vesta
