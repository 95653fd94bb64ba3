// A flow: work moving between this node and a peer right now, for `vesta status` and vestatop.
#pragma once

#include <cstdint>
#include <string>

#include "job.h"

namespace vesta {

struct Flow {
  bool lending = false;  // true: this node runs a peer's work; false: a peer runs ours
  uint64_t job = 0;      // the job's id on the node that submitted it
  JobKind kind = JobKind::Cpu;
  std::string peer, peerFingerprint;
  unsigned cores = 0;  // worker threads on the running node
  uint64_t done = 0;   // units this flow finished: iterations, or pages + held ms for mem
  uint64_t total = 0;  // units of the whole job
  uint64_t elapsedMs = 0;
  std::string paused;  // why its runner paused it for its owner; empty: running
};

}  // namespace vesta
