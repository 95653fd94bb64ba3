// The autopilot: where a job should run, from snapshots of every node
// including this one. Pure: no clock, no I/O; every decision carries a reason a person can read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arch_placement.h"
#include "config.h"
#include "exec_policy.h"
#include "gpu_advert.h"
#include "job.h"
#include "peertable.h"
#include "power.h"
#include "sysstat.h"

namespace vesta {

// One node as placement sees it. For this node the fields come from its own measurement; for a
// peer, from its newest beacon and link.
struct NodeView {
  std::string name;
  std::string fingerprint;  // empty for this node
  bool self = false;
  unsigned cores = 0;
  double cpu_busy = 0;     // 0..1
  double spare_cores = 0;  // what it lends now (already scaled by willingness)
  uint64_t mem_available_mb = 0;
  uint64_t mem_offer_mb = 0;
  PowerMode power = PowerMode::Grid;
  double willingness = 1;
  double rtt_ms = -1;   // -1 unknown; 0 for self
  uint64_t age_ms = 0;  // how old the snapshot is
  bool alive = true;    // peer table state is alive
  bool link_up = true;  // an authenticated link exists (always true for self)
  bool capped = false;  // over its borrowing cap in our ledger (the ledger issue)
  std::string refused;  // why it turned this job down or lost it already; never asked again
  // Exec jobs: the node's consent (its ExecPolicy frame), how many commands of ours it may run
  // at once, and how many of ours run there now.
  ExecPolicy exec;
  unsigned exec_slots = 0;
  unsigned exec_running = 0;
  // GPUs (vesta exec --gpu): how many it has, its advert (lends? free?), how many ours hold.
  unsigned gpus = 0;
  GpuAdvert gpu;
  unsigned gpu_running = 0;
  NodePlatform platform;  // what it is (its beacons; this node's own measurement)
};

// This node's view, from its own measurement and config; its spare cores are its lending budget
// now (lib/lending_budget), the same number its beacons advertise.
NodeView selfView(const std::string& name, unsigned cores, double cpuBusy, double budgetCores,
                  const MemInfo& mem, const PowerDecision& power, const ExecPolicy& policy,
                  const Config& config);
// A peer's view: its newest beacon, its link (nullopt rtt: no link; -1: no pong yet), how old
// the beacon is, whether our ledger finds us capped there, and the exec policy it announced.
NodeView peerView(const Peer& peer, std::optional<double> linkRttMs, uint64_t ageMs, bool capped,
                  const ExecPolicy* policy);

struct PlacementRequest {
  JobKind kind = JobKind::Cpu;
  uint64_t iterations = 0;  // cpu
  uint64_t mem_mb = 0;      // mem
  std::string on;           // --on NODE; empty = automatic
  bool local = false;       // --local
  bool no_split = false;    // --no-split
  std::string argv0;        // exec: the program as typed
  bool shipped = false;     // exec: the program travels with the job (--put)
  unsigned gpus = 0;        // exec: --gpu=N, only on nodes lending N free GPUs
  ArchRequest arch;         // exec: the shipped program's architecture and --arch
  // exec, --retries: nodes where this command already failed. They are passed over while any
  // other node would run it (even if that one is full now: the job waits for it), and used
  // again once every node that would run it has failed it.
  std::vector<std::string> avoid;
};

struct PlacementPolicy {
  uint32_t spill_cpu_pct = 80;
  uint64_t stale_after_ms = 3000;              // ~3 beacon intervals
  uint64_t split_min_iterations = 50'000'000;  // smaller jobs are not worth splitting
  static PlacementPolicy from(const Config& config);
};

struct Plan {
  std::vector<std::string> nodes;  // one node, or several for a split (this node first)
  std::string reason;              // "pi4: 3.0 spare cores, desk over spill threshold 80% (93%)"
  std::string error;               // set when no node can take the job
  bool wait = false;               // exec: nodes would take it, but every one is full now
  bool ok() const { return error.empty() && !nodes.empty(); }
  bool split() const { return nodes.size() > 1; }
};

Plan place(const PlacementRequest& request, const std::vector<NodeView>& nodes,
           const PlacementPolicy& policy);

// Exec jobs: one command on one node. Only nodes whose policy would accept the program; each
// runs at most exec_slots of our commands at once. This node first while under the spill
// threshold, then the peer with the most free slots (then spare cores, power, RTT, name), then
// this node even when busy. When every willing node is full the plan says wait (the job queues).
Plan placeExec(const PlacementRequest& request, const std::vector<NodeView>& nodes,
               const PlacementPolicy& policy);

// How many commands of ours a node runs at once: this node all cores but the reserve; a peer
// what it offers, scaled by its willingness. At least one where anything is lent.
unsigned execSlots(unsigned cores, bool self, double willingness, const Config& config);

}  // namespace vesta
