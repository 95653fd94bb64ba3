#include "model.h"

#include <cstdlib>

namespace vesta::top {
namespace {

double num(const std::string& s) {
  return std::strtod(s.c_str(), nullptr);
}

}  // namespace

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

Snapshot snapshotFrom(const Properties& p) {
  Snapshot s;
  s.connected = true;
  s.self = asString(p, "Name");
  NodeRow self;
  self.self = true;
  self.name = s.self;
  self.fingerprint = asString(p, "Fingerprint");
  self.state = "this node";
  self.cores = static_cast<unsigned>(asDouble(p, "Cores"));
  self.cpuPct = asDouble(p, "CpuPercent");
  self.perCorePct = asDoubles(p, "CpuPercentPerCore");
  self.memTotalMb = static_cast<uint64_t>(asDouble(p, "MemTotalMB"));
  self.memAvailableMb = static_cast<uint64_t>(asDouble(p, "MemAvailableMB"));
  self.power = asString(p, "PowerMode");
  self.batteryPct = static_cast<int>(asDouble(p, "BatteryPercent"));
  self.willingness = asDouble(p, "Willingness");
  self.jobs = static_cast<unsigned>(asDouble(p, "JobsActive"));
  s.nodes.push_back(self);
  // Peers: name, fingerprint, address, port, state, cores, cpu %, MemAvailable, power,
  // willingness, spare, ms since seen, link, rtt.
  for (const auto& r : asRows(p, "Peers")) {
    if (r.size() < 14) continue;
    NodeRow n;
    n.name = r[0];
    n.fingerprint = r[1];
    n.address = r[2] + ":" + r[3];
    n.state = r[4];
    n.cores = static_cast<unsigned>(num(r[5]));
    n.cpuPct = num(r[6]);
    n.memAvailableMb = static_cast<uint64_t>(num(r[7]));
    n.power = r[8];
    n.willingness = num(r[9]);
    n.spareCores = num(r[10]);
    n.link = r[12];
    n.rttMs = num(r[13]);
    s.nodes.push_back(n);
  }
  // Ledger: name, fingerprint, lent, borrowed, MiB-s lent, borrowed, capped, capped there.
  for (const auto& r : asRows(p, "Ledger")) {
    if (r.size() < 8) continue;
    for (auto& n : s.nodes)
      if (!n.self && n.fingerprint == r[1]) {
        n.lentCoreS = num(r[2]);
        n.borrowedCoreS = num(r[3]);
        n.capped = r[6] == "true";
        n.cappedThere = r[7] == "true";
      }
  }
  // Flows: direction, job, kind, peer, fingerprint, cores, done, total, elapsed.
  for (const auto& r : asRows(p, "Flows")) {
    if (r.size() < 9) continue;
    FlowRow f;
    f.lending = r[0] == "lend";
    f.job = std::strtoull(r[1].c_str(), nullptr, 10);
    f.kind = r[2];
    f.peer = r[3];
    f.cores = static_cast<unsigned>(num(r[5]));
    f.done = std::strtoull(r[6].c_str(), nullptr, 10);
    f.total = std::strtoull(r[7].c_str(), nullptr, 10);
    f.elapsedMs = std::strtoull(r[8].c_str(), nullptr, 10);
    s.flows.push_back(f);
  }
  return s;
}

}  // namespace vesta::top
