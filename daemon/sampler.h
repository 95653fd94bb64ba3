// Measures this machine on a timer: CPU from /proc/stat deltas, memory, power, thermal, GPU.
// Reads are small procfs/sysfs files, cheap enough for the loop thread.
#pragma once

#include <uv.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "gpus.h"
#include "lending_budget.h"
#include "machine_arch.h"
#include "power.h"
#include "sysstat.h"
#include "uvpp.h"

namespace vesta {

// The node's live state, as the bus shows it and (later) beacons carry it.
struct NodeStatus {
  unsigned cores = 1;
  double cpu = 0;                // busy share 0..1
  std::vector<double> per_core;  // busy share per core
  MemInfo mem;
  PowerDecision power;
  std::optional<int> battery_pct;
  std::optional<double> temperature_c;
  int gpus = 0;
  std::vector<Gpu> gpu_list;  // each GPU, its memory and busy % (refreshed with the power)
  NodePlatform platform;      // read once at start (daemon/platform)
  // What this node may lend now, recomputed every sample from the measurement above, the
  // owner's settings and the borrowed work's own CPU time (Sampler::Sources).
  double borrowedBusyCores = 0;
  UserPresence user = UserPresence::Unknown;
  LendingBudget budget;
};

class Sampler {
 public:
  // What the machine alone does not tell: how much CPU time borrowed work has used in total
  // (seconds, monotonic: chunk threads and exec commands of peers), and whether someone is at
  // the keyboard. Empty: none, unknown.
  struct Sources {
    std::function<double()> borrowedCpuSeconds;
    std::function<UserPresence()> user;
  };
  // `onSample` runs on the loop after every measurement.
  Sampler(uv_loop_t* loop, const Config& config, std::function<void()> onSample,
          Sources sources = {});
  // Takes the first sample now and then every `intervalMs`.
  void start(uint64_t intervalMs);
  void stop() { timer_.stop(); }
  // Whether someone is at the keyboard (the node's logind watch), set once its watch exists.
  void setUserSource(std::function<UserPresence()> user) { sources_.user = std::move(user); }
  const NodeStatus& status() const { return status_; }

 private:
  void sample();
  void readSlowChanging();
  void updateBudget(double elapsedSeconds);

  const Config& config_;
  uv_loop_t* loop_;
  uv::Timer timer_;
  std::function<void()> onSample_;
  Sources sources_;
  NodeStatus status_;
  double lastBorrowedCpuSeconds_ = 0;
  uint64_t lastSampleMs_ = 0;
  ProcStat last_;
  unsigned tick_ = 0;
};

}  // namespace vesta
