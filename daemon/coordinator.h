// The coordinator runs the jobs submitted on this node wherever the autopilot (lib/placement)
// says: here, on peers, or split across several with dynamic chunking (lib/chunks). Every part
// goes out as an offer, this node's own to its Lender through the loopback queue. It re-places work
// that a peer refuses or loses, and fails a job only when no node can take it. Loop thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chunks.h"
#include "config.h"
#include "engine.h"
#include "flow.h"
#include "frame.h"
#include "jobs.h"
#include "part_state.h"
#include "placement.h"
#include "run_table.h"
#include "sysstat.h"

namespace vesta {

class Coordinator : public Engine {
 public:
  struct Hooks {
    std::function<std::vector<NodeView>()> views;  // this node and every known peer, now
    std::function<bool(const std::string& fingerprint, const Frame& frame)> send;
    // The ledger: what a peer reports our work used there; and "a job ended, save now".
    std::function<void(const std::string& fingerprint, double coreSeconds, double mibSeconds)>
        borrowed;
    std::function<void()> jobEnded;
    // A peer refused us for being over our borrowing cap there.
    std::function<void(const std::string& fingerprint)> capped;
    // The clock (ms) of deadlines, straggler backups and rates; empty: the loop's uv_now. Tests
    // inject one so that a slow machine (or an emulated one) makes nothing overdue.
    std::function<uint64_t()> now;
  };
  Coordinator(uv_loop_t* loop, const Config& config, JobTable& jobs, Hooks hooks);
  ~Coordinator();

  // Places and starts a job. Errors are about the arguments; a job nothing can take is
  // returned Failed with the reason, like one that fails later.
  Result<Job*> submitCpu(uint64_t millions, const JobSeed& seed, const PlacementRequest& how);
  Result<Job*> submitMem(uint64_t mb, uint64_t holdMs, const PlacementRequest& how);

  // Accept, Refuse, ChunkDone, Progress, JobDone and Usage frames from runners.
  std::vector<FrameType> frameTypes() const override {
    return {FrameType::Accept,   FrameType::Refuse,  FrameType::ChunkDone,
            FrameType::Progress, FrameType::JobDone, FrameType::Usage};
  }
  void onFrame(const std::string& fingerprint, const Frame& frame) override;
  void onLinkDown(const std::string& fingerprint) override;
  // The job table's canceller: stops every part of `job`.
  void cancel(Job& job, const std::string& why);
  // Offer timeouts, backup copies of stalled chunks, progress. A few times a second.
  void tick() override;
  void shutdown(const std::string& why) override;

  std::vector<Flow> flows() const override;  // peers running our work
  size_t active() const override { return runs_.size(); }

 private:
  uint64_t clockMs() const;
  struct Part;
  struct Run;
  Job* start(Job& job, Run run);
  void place(Run& run);
  void addPart(Run& run, const NodeView& node);
  void pump(Run& run);
  void afterChunk(Run& run);
  // failedThere: the node reported the failure itself (not a lost link or silence).
  void partFailed(Run& run, Part& part, bool refused, const std::string& why,
                  bool failedThere = false);
  void finishRun(uint64_t id, JobState state, const std::string& result, const std::string& error);
  void stopParts(Run& run, const std::string& why);
  void updateJob(Run& run);
  Run* runFor(const std::string& fingerprint, uint64_t job, Part** part);

  uv_loop_t* loop_;
  JobTable& jobs_;
  Hooks hooks_;
  PlacementPolicy policy_;
  RunTable<uint64_t, Run> runs_;  // by job id; an ended run is freed at the next tick
  uint64_t lastBadFrameLog_ = 0;
};

}  // namespace vesta
