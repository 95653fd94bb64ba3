// vestatop's model: what one frame shows, as plain structs filled from the daemon's D-Bus
// properties (lib/api). Collection (model.cc) fills it; drawing (render.cc) only reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api.h"

namespace vesta::top {

struct NodeRow {
  std::string name, fingerprint, state;  // state: "this node", alive, suspect, dead
  bool self = false;
  std::string address, link;  // peers
  double rttMs = -1;
  unsigned cores = 0;
  double cpuPct = 0;
  std::vector<double> perCorePct;  // this node only: beacons carry no per-core figures
  uint64_t memTotalMb = 0;         // 0 when unknown (peers)
  uint64_t memAvailableMb = 0;
  std::string power;
  int batteryPct = -1;
  double willingness = 1;
  double spareCores = 0;
  std::string heat;      // "hot 76 °C: lends 40%", or "" when the heat cuts nothing
  unsigned jobs = 0;     // this node only
  std::string platform;  // "aarch64 (arm64, 64-bit), kernel 6.1.0" (lib/machine_arch)
  // The ledger with this peer (peers only).
  double lentCoreS = 0, borrowedCoreS = 0;
  bool capped = false, cappedThere = false;
  std::vector<std::string> gpus;  // one line per GPU (lib/gpu_text), for the details
};

using FlowRow = api::Flow;

struct Snapshot {
  bool connected = false;
  std::string error;           // why not, when not connected
  std::string self;            // this node's name
  std::vector<NodeRow> nodes;  // this node first
  std::vector<FlowRow> flows;
  // This node's owner first: "owner 35%, lending 40% of 75% offered" (lib/budget_text), and with
  // the budget and what cut it, for the details.
  std::string owner, ownerDetails;

  unsigned alive() const;
  unsigned totalCores() const;        // of the alive nodes
  uint64_t totalAvailableMb() const;  // of the alive nodes
  unsigned jobsRunning() const;       // here and the flows of peers' jobs we run
};

// Builds a snapshot from the Manager's properties (Client::node, as vesta status reads them).
// Pure.
Snapshot snapshotFrom(const api::NodeInfo& manager);

}  // namespace vesta::top
