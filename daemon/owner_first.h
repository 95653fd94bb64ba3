// The owner first while work runs: every sample, what the lending budget allows is enforced on
// the work already running here, not only on what is admitted. Borrowed exec commands beyond
// the budget's whole cores are paused, newest first (lib/pause_plan), resumed oldest first once
// the budget has been back for resume_after_s, and stopped after max_pause_s paused; borrowed
// chunks get the cores the running commands leave (Executor::setBorrowedLimit); and when
// MemAvailable falls into the reserve, peers' mem jobs and commands are stopped, largest first
// (lib/memory_reserve). It also totals the borrowed CPU time the sampler subtracts from the
// machine's busy time to measure the owner's own load. This node's own work is never touched.
// Loop thread only.
#pragma once

#include <cstdint>
#include <string>

#include "config.h"
#include "exec_runner.h"
#include "executor.h"
#include "lender.h"
#include "pause_plan.h"
#include "sampler.h"

namespace vesta {

class OwnerFirst {
 public:
  OwnerFirst(const Config& config, Executor& executor, Lender& lender, ExecRunner& runner);
  // Borrowed work's CPU seconds so far (chunk threads, mem threads, exec process groups).
  double borrowedCpuSeconds();
  // Acts on the latest sample; `nowMs` is the sampler's clock.
  void enforce(const NodeStatus& status, uint64_t nowMs);

 private:
  void enforceMemory(const NodeStatus& status);

  const Config& config_;
  Executor& executor_;
  Lender& lender_;
  ExecRunner& runner_;
  PausePolicy pauses_;
};

}  // namespace vesta
