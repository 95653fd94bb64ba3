#include "model.h"

#include "budget_text.h"
#include "gpu_text.h"
#include "machine_arch.h"

namespace vesta::top {

unsigned Snapshot::alive() const {
  unsigned n = 0;
  for (auto& r : nodes) n += r.self || r.state == "alive";
  return n;
}

unsigned Snapshot::totalCores() const {
  unsigned n = 0;
  for (auto& r : nodes)
    if (r.self || r.state == "alive") n += r.cores;
  return n;
}

uint64_t Snapshot::totalAvailableMb() const {
  uint64_t n = 0;
  for (auto& r : nodes)
    if (r.self || r.state == "alive") n += r.memAvailableMb;
  return n;
}

unsigned Snapshot::jobsRunning() const {
  unsigned n = nodes.empty() ? 0 : nodes.front().jobs;
  for (auto& f : flows) n += f.lending;
  return n;
}

Snapshot snapshotFrom(const api::NodeInfo& p) {
  Snapshot s;
  s.connected = true;
  s.self = p.name;
  NodeRow self;
  self.self = true;
  self.name = p.name;
  self.fingerprint = p.fingerprint;
  self.state = "this node";
  self.cores = p.cores;
  self.cpuPct = p.cpuPct;
  self.perCorePct = p.cpuPctPerCore;
  self.memTotalMb = p.memTotalMb;
  self.memAvailableMb = p.memAvailableMb;
  self.power = p.powerMode;
  self.batteryPct = p.batteryPct;
  self.willingness = p.willingness;
  self.jobs = p.jobsActive;
  self.spareCores = p.lendingBudgetCores;
  self.heat = heatNote(p.temperatureC, p.thermalFactor);
  self.platform = platformSummary(p.machine, p.debianArch, p.wordBits, p.kernel);
  s.nodes.push_back(self);
  s.ownerDetails = ownerLine(p);
  s.owner = s.ownerDetails.substr(0, s.ownerDetails.find(';'));
  for (const api::Peer& peer : p.peers) {
    NodeRow n;
    n.name = peer.name;
    n.fingerprint = peer.fingerprint;
    n.address = peer.address + ":" + std::to_string(peer.port);
    n.state = peer.state;
    n.cores = peer.cores;
    n.cpuPct = peer.cpuPct;
    n.memAvailableMb = peer.memAvailableMb;
    n.power = peer.power;
    n.willingness = peer.willingness;
    n.spareCores = peer.spareCores;
    n.heat = heatNote(peer.temperatureC, peer.thermalFactor);
    n.link = peer.linkUp ? "up" : "down";
    n.rttMs = peer.rttMs;
    n.platform = platformSummary(peer.machine, peer.debianArch, peer.bits, peer.kernel);
    for (const api::LedgerRow& l : p.ledger)
      if (l.fingerprint == peer.fingerprint) {
        n.lentCoreS = l.lentCoreS;
        n.borrowedCoreS = l.borrowedCoreS;
        n.capped = l.capped;
        n.cappedThere = l.cappedThere;
      }
    s.nodes.push_back(n);
  }
  s.flows = p.flows;
  for (auto& n : s.nodes)
    for (const api::GpuRow& g : gpuRowsFor(p.gpuList, n.name)) n.gpus.push_back(gpuRowText(g));
  return s;
}

}  // namespace vesta::top
