// Part of one core for a worker that hashes in pieces: a budget of 1.5 cores is one worker all
// the time and a second one half the time. The second keeps a credit of CPU time that grows
// at `share` of the wall clock and shrinks by the CPU time of each piece it hashes; it hashes
// while the credit is positive. The credit is capped, so a worker that had nothing to do does
// not come back with a burst. Pure (an injected clock, in ns).
#pragma once

#include <cstdint>

namespace vesta {

class DutyCycle {
 public:
  static constexpr uint64_t kDefaultBurstNs = 200'000'000;  // two pieces of a chunk
  explicit DutyCycle(uint64_t burstNs = kDefaultBurstNs) : burstNs_(burstNs) {}

  // Adds the credit earned at `share` (0..1 of a core) since the last call, then says whether
  // the worker may hash a piece now.
  bool mayRun(double share, uint64_t nowNs);
  // A piece hashed: its CPU time, in ns (it may take the credit below zero).
  void charge(uint64_t cpuNs) { creditNs_ -= static_cast<int64_t>(cpuNs); }
  int64_t creditNs() const { return creditNs_; }

 private:
  uint64_t burstNs_;
  int64_t creditNs_ = 0;
  uint64_t lastNs_ = 0;
  bool started_ = false;
};

}  // namespace vesta
