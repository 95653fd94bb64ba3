// Measures this machine on a timer: CPU from /proc/stat deltas, memory, power, thermal, GPU.
// Reads are small procfs/sysfs files, cheap enough for the loop thread.
#pragma once

#include <uv.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
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
};

class Sampler {
 public:
  // `onSample` runs on the loop after every measurement.
  Sampler(uv_loop_t* loop, const Config& config, std::function<void()> onSample);
  // Takes the first sample now and then every `intervalMs`.
  void start(uint64_t intervalMs);
  void stop() { timer_.stop(); }
  const NodeStatus& status() const { return status_; }

 private:
  void sample();
  void readSlowChanging();

  const Config& config_;
  uv::Timer timer_;
  std::function<void()> onSample_;
  NodeStatus status_;
  ProcStat last_;
  unsigned tick_ = 0;
};

}  // namespace vesta
