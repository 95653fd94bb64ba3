// The cluster as this node sees it, in one place: this node's own view (from its measurement and
// config), each peer's (from its newest beacon, its link and the exec policy it announced), and
// so every input placement needs (lib/placement's NodeView). It is also the engine of ExecPolicy
// frames: a peer's policy arrives in its Hello at link-up and may be re-announced later.
// Loop thread only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "beacon.h"
#include "config.h"
#include "discovery.h"
#include "engine.h"
#include "exec_policy.h"
#include "ledger_store.h"
#include "links.h"
#include "placement.h"
#include "sampler.h"

namespace vesta {

class Cluster : public Engine {
 public:
  // Discovery, the links and the ledger exist only once the node has started them: each
  // returns nullptr until then.
  struct Sources {
    std::function<const NodeStatus&()> status;
    std::function<const Discovery*()> discovery;
    std::function<const Links*()> links;
    std::function<const LedgerStore*()> ledger;
    std::function<uint64_t()> nowMs;  // the clock of the peers' last_seen (the loop's)
    // This node's GPUs as the runner lends them: to peers (beacons) or to its owner (self view).
    std::function<GpuAdvert(bool forPeers)> gpus = {};
  };
  Cluster(const Config& config, Sources sources);

  // This node and every known peer, now: placement's input.
  std::vector<NodeView> views() const;
  // This node's status as its beacons carry it.
  NodeSnapshot snapshot() const;
  // This node's consent to exec jobs, as its Hello announces it.
  ExecPolicy execPolicy() const;
  // A peer's name from the peer table, or its fingerprint when unknown.
  std::string peerName(const std::string& fingerprint) const;

  // Engine: ExecPolicy frames; a link's Hello policy at link-up, forgotten at link-down.
  std::vector<FrameType> frameTypes() const override { return {FrameType::ExecPolicy}; }
  void onFrame(const std::string& fingerprint, const Frame& frame) override;
  void onLinkUp(const std::string& fingerprint) override;
  void onLinkDown(const std::string& fingerprint) override;
  void tick() override {}
  void shutdown(const std::string&) override {}
  std::vector<Flow> flows() const override { return {}; }
  size_t active() const override { return 0; }

 private:
  const Config& config_;
  Sources sources_;
  std::map<std::string, ExecPolicy> peerExecPolicies_;  // by fingerprint, from their links
};

}  // namespace vesta
