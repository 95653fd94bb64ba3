// The jobs a node knows: their records, state changes and completions. The bus layer listens
// to changes; the executor does the work. Runs on the loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cpujob.h"
#include "executor.h"
#include "job.h"
#include "result.h"

namespace vesta {

using Clock = std::chrono::steady_clock;

// Where one part of a job runs: iterations [first, end) of a cpu job on `node`. Today every part
// is local; the placement issue adds remote parts without changing this shape.
struct JobPart {
  std::string node;
  uint64_t first = 0;
  uint64_t end = 0;
};

struct Job {
  uint64_t id = 0;
  JobKind kind = JobKind::Cpu;
  JobState state = JobState::Queued;
  std::string origin;  // node that submitted it
  std::string node;    // node it runs on
  unsigned workers = 0;
  // cpu
  uint64_t iterations = 0;
  JobSeed seed{};
  std::vector<JobPart> parts;
  // mem
  uint64_t mem_mb = 0;
  uint64_t hold_ms = 0;
  // outcome
  std::string result;  // cpu: lowercase hex digest
  std::string error;
  Clock::time_point submitted{}, started{}, finished{};
  std::shared_ptr<Task> task;

  std::string idText() const { return std::to_string(id); }
  double progress() const;
  uint64_t elapsedMs() const;  // from start to finish, or to now while running
};

enum class JobChange { Created, State, Progress, Removed };

class JobTable {
 public:
  using Listener = std::function<void(const Job&, JobChange)>;
  // `keepFinished`: how many finished jobs stay readable (for `vesta jobs` and late readers).
  JobTable(Executor& executor, std::string nodeName, Listener listener, size_t keepFinished = 64);

  Job& submitCpu(uint64_t millions, const JobSeed& seed);
  Job& submitMem(uint64_t mb, uint64_t holdMs);
  // Cancels a job that has not finished; the error says why not otherwise.
  Result<void> cancel(uint64_t id, const std::string& why = "cancelled by request");
  void cancelAll(const std::string& why);

  Job* find(uint64_t id);
  const std::map<uint64_t, std::unique_ptr<Job>>& all() const { return jobs_; }
  size_t active() const;

  // Moves started jobs to running and reports progress; call a few times a second while
  // active() > 0.
  void tick();

 private:
  Job& add(JobKind kind);
  void setState(Job& job, JobState to, const std::string& error = "");
  void complete(uint64_t id, const TaskOutcome& outcome);
  void forgetOldFinished();

  Executor& executor_;
  std::string nodeName_;
  Listener listener_;
  size_t keepFinished_;
  uint64_t nextId_ = 1;
  std::map<uint64_t, std::unique_ptr<Job>> jobs_;
  std::deque<uint64_t> finishedOrder_;
};

}  // namespace vesta
