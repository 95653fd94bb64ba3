// The lender runs peers' work here: it answers offers after checking this node's own capacity,
// power and the peer's borrowing cap (the owner first), runs the chunks and mem jobs it accepted on
// the executor at nice 10, and drops everything of a peer whose link goes down, so a dead submitter
// leaves no orphan work behind. It runs this node's own cpu and mem work too, offered by the
// coordinator from fingerprint "": never counted in the ledger, never capped, refused for power
// or busy cores, nor shown as a flow. Loop thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "engine.h"
#include "executor.h"
#include "flow.h"
#include "frame.h"
#include "proto.h"
#include "run_table.h"
#include "sampler.h"
#include "sysstat.h"

namespace vesta {

class Lender : public Engine {
 public:
  struct Hooks {
    std::function<bool(const std::string& fingerprint, const Frame& frame)> send;
    std::function<std::string(const std::string& fingerprint)> nameOf;
    std::function<const NodeStatus&()> status;  // the latest measurement of this node
    std::function<MemInfo()> meminfo;           // measured afresh, for a mem offer
    // The ledger: may this peer borrow more (else `why` names the cap)? And what it used here.
    std::function<bool(const std::string& fingerprint, std::string* why)> mayBorrow;
    std::function<void(const std::string& fingerprint, const std::string& name, double coreSeconds,
                       double mibSeconds, bool jobEnded)>
        lent;
    std::function<void()> jobEnded;      // a loan ended: save the ledger now
    std::function<uint64_t()> now = {};  // the clock (ms) of flows; empty: the loop's uv_now
  };
  Lender(uv_loop_t* loop, const Config& config, Executor& executor, Hooks hooks);
  ~Lender();

  // Offer, Chunk and Release frames from a coordinator.
  std::vector<FrameType> frameTypes() const override {
    return {FrameType::Offer, FrameType::Chunk, FrameType::Release};
  }
  void onFrame(const std::string& fingerprint, const Frame& frame) override;
  // The peer is gone: its work here stops at once.
  void onLinkDown(const std::string& fingerprint) override;
  // Sends progress of mem loans. A few times a second while active().
  void tick() override;
  // Tells every coordinator this node gives up its parts, and stops them. Idempotent.
  void shutdown(const std::string& why) override;

  std::vector<Flow> flows() const override;  // peers' work running here

  // Peers' mem jobs holding memory here, for the owner-first memory rule (daemon/owner_first).
  struct MemHolder {
    std::string fingerprint;
    uint64_t job = 0, sinceMs = 0, mb = 0;
  };
  std::vector<MemHolder> borrowedMemory() const;
  // Ends a peer's job here for the owner: its coordinator hears JobDone with `why`.
  void stopForOwner(const std::string& fingerprint, uint64_t job, const std::string& why);
  size_t active() const override { return loans_.size(); }

 private:
  struct Loan;
  using Key = std::pair<std::string, uint64_t>;  // (coordinator fingerprint, its job id)
  void offer(const std::string& fingerprint, const Frame& frame);
  void chunk(const std::string& fingerprint, const Frame& frame);
  void release(const Key& key, const std::string& why);
  // Why this node turns the offer down now (code and text), or nullopt to accept.
  std::optional<RefuseMsg> whyRefuse(const std::string& fingerprint, const OfferMsg& offer) const;
  // Counts what a task used in the ledger and tells the coordinator, however the task ended.
  void account(const Key& key, const std::string& origin, const TaskOutcome& outcome,
               bool jobEnded);
  void badFrame(const std::string& fingerprint, const std::string& error);
  uint64_t clockMs() const;
  unsigned workersFor(const std::string& fingerprint) const;

  uv_loop_t* loop_;
  const Config& config_;
  Executor& executor_;
  Hooks hooks_;
  RunTable<Key, Loan> loans_;  // an ended loan is freed at the next tick
  uint64_t nextTask_ = 0;
  uint64_t lastBadFrameLog_ = 0;
  bool stopping_ = false;
};

}  // namespace vesta
