#include "cluster.h"

#include "capacity.h"
#include "exec_proto.h"
#include "log.h"

namespace vesta {

Cluster::Cluster(const Config& config, Sources sources)
    : config_(config), sources_(std::move(sources)) {}

NodeSnapshot Cluster::snapshot() const {
  const NodeStatus& s = sources_.status();
  NodeSnapshot snap = advertisedSnapshot(s.cores, s.cpu, s.mem, s.power, s.gpus, config_, s.budget,
                                         s.temperature_c);
  if (sources_.gpus && s.gpus > 0) snap.gpu = sources_.gpus(true);
  snap.platform = s.platform;
  return snap;
}

ExecPolicy Cluster::execPolicy() const {
  ExecPolicy p{config_.allow_exec, config_.allow_shipped_exec, config_.exec_allowlist, 0};
  p.slots = execSlots(sources_.status().cores, false, 1, config_);
  return p;
}

std::string Cluster::peerName(const std::string& fp) const {
  const Discovery* d = sources_.discovery();
  const Peer* p = d ? d->peers().find(fp) : nullptr;
  return p ? p->name : fp;
}

std::vector<NodeView> Cluster::views() const {
  const NodeStatus& s = sources_.status();
  std::vector<NodeView> out{selfView(config_.name, s.cores, s.cpu, s.budget.cores, s.mem, s.power,
                                     execPolicy(), config_)};
  out[0].gpus = static_cast<unsigned>(s.gpus);
  if (sources_.gpus && s.gpus > 0) out[0].gpu = sources_.gpus(false);
  out.front().platform = s.platform;
  const Discovery* discovery = sources_.discovery();
  if (!discovery) return out;
  const Links* links = sources_.links();
  const LedgerStore* ledger = sources_.ledger();
  uint64_t now = sources_.nowMs();
  for (const auto& [fp, p] : discovery->peers().peers()) {
    auto link = links ? links->info(fp) : std::nullopt;
    auto policy = peerExecPolicies_.find(fp);
    out.push_back(peerView(p, link ? std::optional(link->rtt_ms) : std::nullopt,
                           now > p.last_seen ? now - p.last_seen : 0,
                           ledger && ledger->cappedThere(fp),
                           policy != peerExecPolicies_.end() ? &policy->second : nullptr));
  }
  return out;
}

void Cluster::onFrame(const std::string& fp, const Frame& frame) {
  if (auto policy = decodeExecPolicy(frame.payload))
    peerExecPolicies_[fp] = *policy;
  else
    log::warning("malformed exec policy from " + peerName(fp) + ": " + policy.error());
}

void Cluster::onLinkUp(const std::string& fp) {
  // Its consent came in its Hello: known before anything can be placed on the new link, so
  // placement never mistakes "not arrived yet" for "exec is off there".
  const Links* links = sources_.links();
  if (auto policy = links ? links->peerExecPolicy(fp) : std::nullopt)
    peerExecPolicies_[fp] = *policy;
}

void Cluster::onLinkDown(const std::string& fp) {
  peerExecPolicies_.erase(fp);
}

}  // namespace vesta
