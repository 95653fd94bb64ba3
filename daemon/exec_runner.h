// Runs exec jobs on this node, for peers and for this node's own `vesta exec` alike (the local
// coordinator reaches it in-process, under the empty fingerprint): checks consent and the
// allowlist, receives shipped files into the cache, starts the command confined (daemon/spawn),
// feeds it the stdin the coordinator sends (under credit, daemon/stdin_relay), streams its
// output under the coordinator's credit, sends back --get files, and reports the
// exit. Borrowed commands run at nice 10; a peer's link going down kills its commands at once.
// Loop thread only.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "disk_budget.h"
#include "engine.h"
#include "exec_policy.h"
#include "exec_proto.h"
#include "exec_state.h"
#include "file_cache.h"
#include "flow.h"
#include "frame.h"
#include "gpu_advert.h"
#include "gpu_slots.h"
#include "memory_reserve.h"
#include "pause_plan.h"
#include "proto.h"
#include "run_table.h"
#include "sampler.h"
#include "spawn.h"

namespace vesta {

class ExecRunner : public Engine {
 public:
  struct Hooks {
    // To the coordinator; the empty fingerprint is this node's own coordinator.
    std::function<bool(const std::string& fingerprint, const Frame& frame)> send;
    std::function<std::string(const std::string& fingerprint)> nameOf;
    std::function<const NodeStatus&()> status;
    std::function<bool(const std::string& fingerprint, std::string* why)> mayBorrow;
    std::function<void(const std::string& fingerprint, const std::string& name, double coreSeconds,
                       double mibSeconds, bool jobEnded)>
        lent;
    std::function<uint64_t()> now = {};  // the clock (ms) of flows and usage; empty: uv_now
  };
  ExecRunner(uv_loop_t* loop, const Config& config, const std::string& stateDir, Hooks hooks);
  ~ExecRunner();

  ExecPolicy policy() const;
  // ExecOffer, FileData, OutputCredit, ExecRelease and ExecStdin frames.
  std::vector<FrameType> frameTypes() const override {
    return {FrameType::ExecOffer, FrameType::FileData, FrameType::OutputCredit,
            FrameType::ExecRelease, FrameType::ExecStdin};
  }
  void onFrame(const std::string& fingerprint, const Frame& frame) override;
  void onLinkDown(const std::string& fingerprint) override;
  void tick() override;  // frees ended jobs
  // Kills what a job left behind when it killed its own reaper (those processes were adopted
  // by vestad): called every sample, it reads /proc only for a while after such an end.
  void sweepStrays();
  // Kills every command and tells their coordinators. Idempotent.
  void shutdown(const std::string& why) override;

  std::vector<Flow> flows() const override;  // peers' commands running here
  size_t active() const override { return jobs_.size(); }
  unsigned borrowedRunning() const;
  // The reapers of the owner's own running jobs (--local ones, submitted on this node).
  std::vector<pid_t> ownersReapers() const;
  // Which GPU each --gpu job holds (daemon/exec_gpus.cc); what this node's beacons advertise.
  const GpuSlots& gpuSlots() const { return gpuSlots_; }
  GpuAdvert gpuAdvert(bool forPeers) const;
  // Told the GPU-seconds a peer's --gpu job held this node's GPUs for, when it ends (the ledger).
  using GpuLent =
      std::function<void(const std::string& fingerprint, const std::string& name, double seconds)>;
  void onGpuLent(GpuLent fn) { gpuLent_ = std::move(fn); }

  // The owner first (daemon/owner_first acts on these every sample). Peers' commands running
  // here, by a serial of the runner's own; pause() stops the job's process group (SIGSTOP) and
  // tells its coordinator why, resume() continues it, stopForOwner() ends it and fails its job
  // with `why`. measureBorrowed() reads their CPU time and memory from /proc.
  std::vector<BorrowedCommand> borrowedCommands() const;
  void pause(uint64_t serial, const std::string& why);
  void resume(uint64_t serial);
  void stopForOwner(uint64_t serial, const std::string& why);
  void measureBorrowed();
  double borrowedCpuSeconds() const;  // monotonic: ended commands' and the live ones' so far
  std::vector<MemoryHolder> borrowedMemory() const;

 private:
  struct Job;
  using Key = std::pair<std::string, uint64_t>;  // (coordinator fingerprint, its job id)
  void offer(const std::string& fingerprint, const Frame& frame);
  void fileData(const std::string& fingerprint, const Frame& frame);
  // Why this node turns the offer down now (code and text), or nullopt to accept.
  std::optional<RefuseMsg> whyRefuse(const std::string& fingerprint,
                                     const ExecOfferMsg& offer) const;
  void start(Job& job);
  void copyFiles(Job& job);
  void copied(const Key& key, const std::string& scratch, const std::string& error);
  void run(Job& job);
  DiskSpace diskSpace() const;
  uint64_t arriving() const;
  void readOutput(Job& job, int stream);
  void pumpOutput(Job& job);
  void onExit(Job& job);
  void maybeFinish(Job& job);
  void sendFiles(Job& job);
  void end(Job& job, const ExecExitMsg& exit);
  void kill(Job& job, const std::string& why);
  Job* bySerial(uint64_t serial);
  void sendState(Job& job, bool paused, const std::string& why);
  void badFrame(const std::string& fingerprint, const std::string& error);
  uint64_t clockMs() const;
  // GPUs (daemon/exec_gpus.cc): the refusal, taking and giving back (with the GPU-seconds a
  // peer's job held them for), and what the command is handed.
  std::string gpuRefusal(const std::string& fingerprint, unsigned n) const;
  std::vector<unsigned> takeGpus(const Key& key, unsigned n);
  void releaseGpus(const Key& key, const std::string& origin, size_t held, bool local,
                   uint64_t startedMs);
  void handGpus(const std::vector<unsigned>& gpus, SpawnSpec& spec) const;

  uv_loop_t* loop_;
  const Config& config_;
  std::string scratchRoot_;
  // Shared with the workers that file and copy shipped files, which may outlive this runner
  // by a moment at shutdown; `alive_` tells their completions whether it is still here.
  std::shared_ptr<FileCache> cache_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Hooks hooks_;
  RunTable<Key, Job> jobs_;      // an ended job is freed at the next tick, never in its callbacks
  std::vector<pid_t> unreaped_;  // reapers of jobs that ended before their command did
  uint64_t sweepUntilMs_ = 0;    // sweepStrays() looks for strays until then
  uint64_t nextScratch_ = 0;
  uint64_t nextSerial_ = 1;
  double borrowedEndedCpu_ = 0;  // CPU seconds of peers' commands that ended
  uint64_t lastBadFrameLog_ = 0;
  bool stopping_ = false;
  GpuSlots gpuSlots_;
  GpuLent gpuLent_;
};

}  // namespace vesta
