#include "pause_plan.h"

#include <algorithm>

namespace vesta {

PausePlan PausePolicy::plan(const std::vector<BorrowedCommand>& commands, unsigned slots,
                            uint64_t nowMs) {
  PausePlan out;
  std::vector<const BorrowedCommand*> running, paused;
  for (auto& c : commands) {
    if (!c.paused) {
      running.push_back(&c);
    } else if (nowMs - c.pausedSinceMs >= maxPauseMs_) {
      out.stop.push_back(c.id);
    } else {
      paused.push_back(&c);
    }
  }
  auto newestFirst = [](const BorrowedCommand* a, const BorrowedCommand* b) {
    return a->startedMs != b->startedMs ? a->startedMs > b->startedMs : a->id > b->id;
  };
  if (running.size() > slots) {
    std::sort(running.begin(), running.end(), newestFirst);
    for (size_t i = 0; i < running.size() - slots; ++i) out.pause.push_back(running[i]->id);
    hadRoom_ = false;
    return out;
  }
  bool room = running.size() < slots && !paused.empty();
  if (!room) {
    hadRoom_ = false;
    return out;
  }
  if (!hadRoom_) {
    hadRoom_ = true;
    roomSinceMs_ = nowMs;
  }
  if (nowMs - roomSinceMs_ < resumeAfterMs_) return out;
  // Oldest first: they were paused last, and have waited longest for their submitters.
  std::sort(paused.begin(), paused.end(), newestFirst);
  size_t free = slots - running.size();
  for (size_t i = 0; i < free && i < paused.size(); ++i)
    out.resume.push_back(paused[paused.size() - 1 - i]->id);
  return out;
}

}  // namespace vesta
