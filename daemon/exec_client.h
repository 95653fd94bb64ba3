// The coordinator of exec jobs submitted on this node (`vesta exec`): queues each command until
// a node that would run it has a free slot (lib/placement placeExec), offers it there (this
// node's own runner included), ships its --put files as the runner asks, passes its output to
// the submitter's pipes under credit (so a slow terminal slows the command, not our memory),
// forwards the submitter's stdin under the runner's credit (daemon/stdin_relay), and
// ends the job with the command's exit status. A refusal places the command elsewhere; a runner
// lost after the command started fails the job (a command is not assumed safe to run twice).
// Loop thread only.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config.h"
#include "engine.h"
#include "exec_proto.h"
#include "exec_state.h"
#include "flow.h"
#include "frame.h"
#include "jobs.h"
#include "placement.h"
#include "run_table.h"
#include "unique_fd.h"

namespace vesta {

class ExecClient : public Engine {
 public:
  struct Hooks {
    std::function<std::vector<NodeView>()> views;  // exec_running is filled in here
    // To a runner; the empty fingerprint is this node's own runner.
    std::function<bool(const std::string& fingerprint, const Frame& frame)> send;
    std::function<void(const std::string& fingerprint, double coreSeconds, double mibSeconds)>
        borrowed;
    std::function<void()> jobEnded;
    std::function<uint64_t()> now = {};  // the clock (ms) of offer timeouts; empty: uv_now
  };
  struct PutFile {
    std::string name;
    Digest sha256{};
    uint64_t size = 0;
    bool executable = false;
    UniqueFd fd;  // a regular file, read with pread
  };
  struct Request {
    std::vector<std::string> argv;
    std::vector<PutFile> puts;
    std::vector<std::string> gets;
    uint64_t timeoutMs = 0, memMb = 0, cpuS = 0;
    std::string on;
    bool local = false;
    unsigned gpus = 0;  // --gpu=N: placed only where N GPUs are lent and free, handed to it
    std::vector<std::string> archs;  // --arch: only nodes of these architectures
    // {arch}: the --put names with the placeholder; argv and gets carry it too, and each node
    // gets them expanded to its machine, with only its own variants of these files.
    std::vector<std::string> archFiles;
    std::vector<std::string> avoid;  // --retries: nodes that failed it (placeExec's `avoid`)
    // A batch (option "batch"): argv, then these, one after another into one framed stdout.
    bool framed = false;
    std::vector<std::vector<std::string>> batch;
    // The submitter's pipes (write ends); `files` may be empty (no --get).
    UniqueFd out, err, files;
    // The submitter's stdin pipe (a read end), forwarded to the command; empty: /dev/null.
    UniqueFd in;
  };

  ExecClient(uv_loop_t* loop, const Config& config, JobTable& jobs, Hooks hooks);
  ~ExecClient();

  // Queues the command and places it as soon as a node has room. Errors are about the request.
  Result<Job*> submit(Request request);
  // ExecAccept, ExecRefuse, FileCredit, Output, ExecExit, ExecUsage and StdinCredit frames for
  // our jobs.
  std::vector<FrameType> frameTypes() const override {
    return {FrameType::ExecAccept, FrameType::ExecRefuse, FrameType::FileCredit, FrameType::Output,
            FrameType::ExecExit,   FrameType::ExecUsage,  FrameType::StdinCredit};
  }
  void onFrame(const std::string& fingerprint, const Frame& frame) override;
  void onLinkDown(const std::string& fingerprint) override;
  void cancel(Job& job, const std::string& why);
  void tick() override;  // offer timeouts, placing queued commands, freeing ended runs
  void shutdown(const std::string& why) override;

  // How many of our commands each node runs now (by node name), for placement.
  std::map<std::string, unsigned> runningOn() const;
  // How many GPUs our --gpu commands hold (or are offered) on each node, by name.
  std::map<std::string, unsigned> gpusOn() const;
  // Told the GPU-seconds a peer's GPUs ran a --gpu job of ours for, when it exits (the ledger).
  using GpuBorrowed = std::function<void(const std::string& fingerprint, double seconds)>;
  void onGpuBorrowed(GpuBorrowed fn) { gpuBorrowed_ = std::move(fn); }
  std::vector<Flow> flows() const override;  // peers running our commands
  size_t active() const override { return runs_.size(); }

 private:
  struct Run;
  struct Sink;
  void dispatch();
  void offer(Run& run, const NodeView& node, const std::string& reason);
  void requeue(Run& run, const std::string& why);
  void pumpFiles(Run& run);
  void deliver(Run& run, OutputStream stream, Bytes data);
  std::string checkFiles(Run& run, std::span<const uint8_t> data);
  void flushSink(Run& run, int index);
  void creditBack(Run& run, bool force);
  void onExit(Run& run, const ExecExitMsg& exit);
  void finish(Run& run, JobState state, const std::string& result, const std::string& error);
  void maybeFree(Run& run);
  Run* runFrom(const std::string& fingerprint, uint64_t job);
  uint64_t clockMs() const;

  uv_loop_t* loop_;
  const Config& config_;
  JobTable& jobs_;
  Hooks hooks_;
  PlacementPolicy policy_;
  RunTable<uint64_t, Run> runs_;  // by job id; an ended run is freed at the next tick
  std::deque<uint64_t> queue_;    // waiting for a free slot, oldest first
  bool dispatching_ = false;
  GpuBorrowed gpuBorrowed_;
};

}  // namespace vesta
