// The jobs submitted on this node: their records and state changes. The bus layer listens to
// changes; the coordinator decides where the work runs and reports back here. Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cpujob.h"
#include "job.h"
#include "proto.h"
#include "result.h"

namespace vesta {

using Clock = std::chrono::steady_clock;

// One node's part in a job: for a cpu job, the iterations it has finished in how many chunks.
struct JobPart {
  std::string node;
  std::string state;  // offered, running, done, refused, lost, released
  uint64_t iterations = 0;
  uint64_t chunks = 0;
  std::string note;                        // why it was refused or lost
  RefuseCode refusal = RefuseCode::Other;  // why it refused, when it did
};

struct Job {
  uint64_t id = 0;
  JobKind kind = JobKind::Cpu;
  JobState state = JobState::Queued;
  std::string origin;  // node that submitted it
  std::string node;    // where it runs: one node, or "desk+pi4" for a split
  std::string reason;  // the placement decision, readable
  unsigned workers = 0;
  // cpu
  uint64_t iterations = 0;
  JobSeed seed{};
  std::vector<JobPart> parts;
  // mem
  uint64_t mem_mb = 0;
  uint64_t hold_ms = 0;
  // exec
  std::vector<std::string> argv;
  size_t batchMore = 0;  // a batch: the commands after argv
  int exitStatus = -1;   // 0..255 (128+N after signal N) once it ran; -1 before or never
  // outcome
  std::string result;  // cpu: lowercase hex digest; exec: "exit N"
  std::string error;
  std::string pauseReason;  // while Paused: why its runner paused it
  double fraction = 0;      // progress, kept by the coordinator
  Clock::time_point submitted{}, started{}, finished{};

  std::string idText() const { return std::to_string(id); }
  double progress() const;
  uint64_t elapsedMs() const;  // from start to finish, or to now while running
};

enum class JobChange { Created, State, Progress, Parts, Removed };

class JobTable {
 public:
  using Listener = std::function<void(const Job&, JobChange)>;
  // Called when a job is cancelled, so whoever runs it stops the work.
  using Canceller = std::function<void(Job&, const std::string& why)>;
  // `keepFinished`: how many finished jobs stay readable (for `vesta jobs` and late readers).
  JobTable(std::string nodeName, Listener listener, size_t keepFinished = 64);
  void setCanceller(Canceller canceller) { canceller_ = std::move(canceller); }

  // A new queued job; announce it with publish() once its fields are filled.
  Job& create(JobKind kind);
  void publish(const Job& job) { listener_(job, JobChange::Created); }
  void setRunning(Job& job);
  // An exec job its runner paused for its owner (`why`), or resumed (`paused` false).
  void setPaused(Job& job, bool paused, const std::string& why);
  // Ends a job: Done with `result`, or Failed/Cancelled with `error`. A final state never changes.
  void finish(Job& job, JobState state, const std::string& result, const std::string& error);
  // Tells the listeners that a job's parts or node changed.
  void partsChanged(const Job& job) { listener_(job, JobChange::Parts); }

  // Cancels a job that has not finished; the error says why not otherwise.
  Result<void> cancel(uint64_t id, const std::string& why = "cancelled by request");
  void cancelAll(const std::string& why);

  Job* find(uint64_t id);
  const std::map<uint64_t, std::unique_ptr<Job>>& all() const { return jobs_; }
  size_t active() const;

  // Reports progress of running jobs; call a few times a second while active() > 0.
  void tick();

 private:
  void setState(Job& job, JobState to, const std::string& error = "");
  void forgetOldFinished();

  std::string nodeName_;
  Listener listener_;
  Canceller canceller_;
  size_t keepFinished_;
  uint64_t nextId_ = 1;
  std::map<uint64_t, std::unique_ptr<Job>> jobs_;
  std::deque<uint64_t> finishedOrder_;
};

}  // namespace vesta
