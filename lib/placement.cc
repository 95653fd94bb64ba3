#include "placement.h"

#include <algorithm>
#include <cstdio>

#include "admission.h"
#include "capacity.h"
#include "cpujob.h"

namespace vesta {
namespace {

std::string pct(double fraction) {
  return std::to_string(static_cast<int>(fraction * 100 + 0.5)) + "%";
}

std::string cores(double n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", n);
  return buf;
}

// What admission (lib/admission) needs to judge `n` from its snapshot.
AdmissionInput admissionOf(const NodeView& n, const PlacementRequest& r) {
  AdmissionInput in;
  in.node = n.name;
  in.kind = r.kind;
  in.own = n.self;
  in.advertised = true;
  in.willingness = n.willingness;
  if (n.capped) in.capped = "over its borrowing cap";
  in.spareCores = n.spare_cores;
  in.cpuBusy = n.cpu_busy;
  in.running = n.exec_running;
  in.byName = !r.on.empty();
  in.memMb = r.kind == JobKind::Mem ? r.mem_mb : 0;
  in.memOfferMb = n.mem_offer_mb;
  in.memAvailableMb = n.mem_available_mb;
  if (r.kind == JobKind::Exec) {
    in.policy = &n.exec;
    in.argv0 = r.argv0;
    in.shipped = r.shipped;
  }
  return in;
}

// Why `n` cannot take the job, or "" when it can: the gates only placement knows (refused
// already, link, age), as docs/configuration.md orders them, then admission.
std::string whyNot(const NodeView& n, const PlacementRequest& r, const PlacementPolicy& p) {
  if (!n.refused.empty()) return n.name + " " + n.refused;
  if (!n.self) {
    if (!n.alive) return n.name + " is not alive";
    if (!n.link_up) return n.name + " has no link";
    if (n.age_ms > p.stale_after_ms) return n.name + "'s status is stale";
  }
  if (auto refusal = admit(admissionOf(n, r))) return refusal->text;
  if (n.self && r.kind == JobKind::Cpu && n.cpu_busy * 100 >= p.spill_cpu_pct)
    return n.name + " over spill threshold " + std::to_string(p.spill_cpu_pct) + "% (" +
           pct(n.cpu_busy) + ")";
  return "";
}

// Better first: more spare cores, then grid power, then lower RTT, then name (a stable order).
bool better(const NodeView& a, const NodeView& b) {
  if (a.spare_cores != b.spare_cores) return a.spare_cores > b.spare_cores;
  bool ag = a.power == PowerMode::Grid, bg = b.power == PowerMode::Grid;
  if (ag != bg) return ag;
  double ar = a.rtt_ms < 0 ? 1e9 : a.rtt_ms, br = b.rtt_ms < 0 ? 1e9 : b.rtt_ms;
  if (ar != br) return ar < br;
  return a.name < b.name;
}

std::string joinReasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (const auto& r : reasons) out += (out.empty() ? "" : ", ") + r;
  return out;
}

}  // namespace

NodeView selfView(const std::string& name, unsigned cores, double cpuBusy, double budgetCores,
                  const MemInfo& mem, const PowerDecision& power, const ExecPolicy& policy,
                  const Config& config) {
  NodeView self;
  self.name = name;
  self.self = true;
  self.cores = cores;
  self.cpu_busy = cpuBusy;
  self.spare_cores = std::max(0.0, budgetCores);
  uint64_t available = mem.available_kb / 1024, reserve = reserveMb(mem, config);
  self.mem_available_mb = available > reserve ? available - reserve : 0;
  self.mem_offer_mb = config.mem_offer_mb;
  self.power = power.mode;
  // The owner's own jobs are not held back by battery mode: that limits lending only.
  self.willingness = 1;
  self.rtt_ms = 0;
  self.exec = policy;
  self.exec_slots = execSlots(cores, true, 1, config);
  return self;
}

NodeView peerView(const Peer& p, std::optional<double> linkRttMs, uint64_t ageMs, bool capped,
                  const ExecPolicy* policy) {
  NodeView v;
  v.name = p.name;
  v.fingerprint = p.fingerprint;
  v.cores = p.status.cores;
  v.cpu_busy = p.status.cpu_permille / 1000.0;
  v.spare_cores = p.status.spare_millicores / 1000.0;
  v.mem_available_mb = p.status.mem_available_mb;
  v.mem_offer_mb = p.status.mem_offer_mb;
  v.platform = p.status.platform;
  v.power = p.status.power;
  v.willingness = p.status.willingness_permille / 1000.0;
  v.link_up = linkRttMs.has_value();
  v.rtt_ms = linkRttMs.value_or(-1);
  v.age_ms = ageMs;
  v.alive = p.state == PeerState::Alive && v.link_up;
  v.capped = capped;
  v.gpus = p.status.gpus;
  v.gpu = p.status.gpu;
  if (policy) v.exec = *policy;
  // What it offers peers (its ExecPolicy), less while on battery.
  v.exec_slots = v.willingness > 0 && v.exec.slots > 0
                     ? std::max(1u, static_cast<unsigned>(v.exec.slots * v.willingness + 0.5))
                     : 0;
  return v;
}

PlacementPolicy PlacementPolicy::from(const Config& c) {
  PlacementPolicy p;
  p.spill_cpu_pct = c.spill_cpu_pct;
  p.stale_after_ms = 3ull * c.advertise_spare_ms;
  p.split_min_iterations = uint64_t{c.split_min_millions} * kIterationsPerUnit;
  return p;
}

Plan place(const PlacementRequest& r, const std::vector<NodeView>& nodes,
           const PlacementPolicy& p) {
  Plan plan;
  const NodeView* self = nullptr;
  for (const auto& n : nodes)
    if (n.self) self = &n;

  if (r.local || !r.on.empty()) {
    const NodeView* target = r.local ? self : nullptr;
    for (const auto& n : nodes)
      if (!r.local && n.name == r.on) target = &n;
    if (!target) {
      plan.error =
          r.local ? "this node is missing from the view" : "no node named " + r.on + " is known";
      return plan;
    }
    // Asked for by name: only the hard gates and the memory fit apply, not the spill threshold.
    std::string why = whyNot(*target, r, p);
    if (!why.empty() && !(target->self && r.kind == JobKind::Cpu)) {
      plan.error = "cannot run on " + target->name + ": " + why;
      return plan;
    }
    plan.nodes = {target->name};
    plan.reason = target->name + ": " + (r.local ? "--local" : "--on " + r.on);
    return plan;
  }

  std::vector<const NodeView*> viable;
  std::vector<std::string> refusals;
  for (const auto& n : nodes) {
    std::string why = whyNot(n, r, p);
    if (why.empty())
      viable.push_back(&n);
    else
      refusals.push_back(why);
  }
  if (viable.empty()) {
    // The owner's own cpu job still runs here, niced, when the only obstacle is the spill
    // threshold: spilling is for when a peer can do better, not a reason to refuse the owner.
    bool selfOnlyBusy = self && r.kind == JobKind::Cpu && self->refused.empty() &&
                        self->cpu_busy * 100 >= p.spill_cpu_pct;
    if (!selfOnlyBusy) {
      plan.error = "no node can take it: " + joinReasons(refusals);
      return plan;
    }
    plan.nodes = {self->name};
    plan.reason = self->name + ": local, no peer can take it; " + joinReasons(refusals);
    return plan;
  }
  // This node first (local first), then the others best first.
  std::stable_sort(viable.begin(), viable.end(), [](const NodeView* a, const NodeView* b) {
    if (a->self != b->self) return a->self;
    return better(*a, *b);
  });
  bool split = r.kind == JobKind::Cpu && !r.no_split && viable.size() >= 2 &&
               r.iterations >= p.split_min_iterations;
  if (split) {
    for (auto* n : viable) plan.nodes.push_back(n->name);
    plan.reason = "split over " + std::to_string(viable.size()) + " nodes";
    for (auto* n : viable)
      if (!n->self) plan.reason += ", " + n->name + " " + cores(n->spare_cores) + " spare cores";
  } else {
    const NodeView* chosen = viable.front();
    plan.nodes = {chosen->name};
    if (chosen->self && r.kind == JobKind::Mem) {
      plan.reason = chosen->name + ": local, room for " + std::to_string(r.mem_mb) + " MiB";
    } else if (chosen->self) {
      plan.reason = chosen->name + ": local, " + pct(chosen->cpu_busy) +
                    " busy, under spill threshold " + std::to_string(p.spill_cpu_pct) + "%";
    } else {
      plan.reason = chosen->name + ": " + cores(chosen->spare_cores) + " spare cores";
      if (r.kind == JobKind::Mem)
        plan.reason = chosen->name + ": room for " + std::to_string(r.mem_mb) + " MiB";
    }
  }
  if (!refusals.empty()) plan.reason += "; " + joinReasons(refusals);
  return plan;
}

unsigned execSlots(unsigned cores, bool self, double willingness, const Config& c) {
  double share = self ? 1.0 - c.reserve_pct / 100.0 : c.cpu_offer_pct / 100.0 * willingness;
  if (!self && (willingness <= 0 || c.cpu_offer_pct == 0)) return 0;
  return std::max(1u, static_cast<unsigned>(cores * share + 1e-9));
}

namespace {

unsigned freeSlots(const NodeView& n) {
  return n.exec_slots > n.exec_running ? n.exec_slots - n.exec_running : 0;
}

// Whether `n` has the GPUs the job asks for free now: its advert's count, never more than it
// lends less what ours hold there (its beacon may not show the job we placed a moment ago).
bool gpuRoom(const NodeView& n, const PlacementRequest& r) {
  if (r.gpus == 0) return true;
  unsigned ours = std::min(n.gpu_running, n.gpus);
  return std::min<unsigned>(n.gpu.free, n.gpus - ours) >= r.gpus;
}

}  // namespace

Plan placeExec(const PlacementRequest& r, const std::vector<NodeView>& nodes,
               const PlacementPolicy& p) {
  Plan plan;
  std::vector<const NodeView*> willing;
  std::vector<std::string> refusals;
  for (const auto& n : nodes) {
    if (r.local && !n.self) continue;
    if (!r.on.empty() && n.name != r.on) continue;
    std::string why = whyNot(n, r, p);
    if (why.empty() && r.gpus) why = gpuRefusal(n.name, n.gpu, n.gpus, r.gpus, nullptr);
    if (why.empty()) why = archWhyNot(n.name, n.platform, r.arch);
    if (why.empty())
      willing.push_back(&n);
    else
      refusals.push_back(why);
  }
  auto avoided = [&](const NodeView* n) {
    return std::find(r.avoid.begin(), r.avoid.end(), n->name) != r.avoid.end();
  };
  if (!std::all_of(willing.begin(), willing.end(), avoided)) std::erase_if(willing, avoided);
  if (willing.empty()) {
    if (!r.on.empty() && refusals.empty())
      plan.error = "no node named " + r.on + " is known";
    else
      plan.error = (r.local || !r.on.empty() ? "cannot run there: " : "no node can run it: ") +
                   joinReasons(refusals);
    return plan;
  }
  const NodeView* self = nullptr;
  std::vector<const NodeView*> peers;
  for (auto* n : willing) {
    if (n->self)
      self = n;
    else if (freeSlots(*n) > 0 && gpuRoom(*n, r))
      peers.push_back(n);
  }
  std::stable_sort(peers.begin(), peers.end(), [](const NodeView* a, const NodeView* b) {
    if (freeSlots(*a) != freeSlots(*b)) return freeSlots(*a) > freeSlots(*b);
    return better(*a, *b);
  });
  bool selfFree = self && freeSlots(*self) > 0 && gpuRoom(*self, r);
  const NodeView* chosen = nullptr;
  if (selfFree && (self->cpu_busy * 100 < p.spill_cpu_pct || r.local)) {
    chosen = self;
    plan.reason = self->name + ": local, " + pct(self->cpu_busy) + " busy";
  } else if (!peers.empty()) {
    chosen = peers.front();
    plan.reason = chosen->name + ": " + std::to_string(freeSlots(*chosen)) + " free of " +
                  std::to_string(chosen->exec_slots) + " slots, " + cores(chosen->spare_cores) +
                  " spare cores";
    if (self && self->cpu_busy * 100 >= p.spill_cpu_pct)
      plan.reason += "; " + self->name + " over spill threshold " +
                     std::to_string(p.spill_cpu_pct) + "% (" + pct(self->cpu_busy) + ")";
  } else if (selfFree) {
    chosen = self;
    plan.reason = self->name + ": local, no peer has a free slot";
  }
  if (!chosen) {
    plan.wait = true;
    plan.reason = "every node that would run it is full";
    // A GPU job says whose GPUs it waits for ("desk's 1 GPU is busy").
    for (auto* n : willing) {
      std::string busy;
      if (r.gpus && !gpuRoom(*n, r) && gpuRefusal(n->name, n->gpu, n->gpus, r.gpus, &busy).empty())
        plan.reason += "; " + (busy.empty() ? n->name + "'s GPUs are taken by our jobs" : busy);
    }
    return plan;
  }
  plan.nodes = {chosen->name};
  if (!refusals.empty()) plan.reason += "; " + joinReasons(refusals);
  return plan;
}

}  // namespace vesta
