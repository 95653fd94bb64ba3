#include "jobs.h"

#include "hex.h"

namespace vesta {

double Job::progress() const {
  if (state == JobState::Done) return 1.0;
  return task ? task->progress() : 0.0;
}

uint64_t Job::elapsedMs() const {
  if (started == Clock::time_point{}) return 0;
  auto end = isTerminal(state) ? finished : Clock::now();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(end - started).count());
}

JobTable::JobTable(Executor& executor, std::string nodeName, Listener listener, size_t keepFinished)
    : executor_(executor),
      nodeName_(std::move(nodeName)),
      listener_(std::move(listener)),
      keepFinished_(keepFinished) {}

Job& JobTable::add(JobKind kind) {
  auto job = std::make_unique<Job>();
  job->id = nextId_++;
  job->kind = kind;
  job->origin = nodeName_;
  job->node = nodeName_;
  job->submitted = Clock::now();
  Job& ref = *job;
  jobs_[ref.id] = std::move(job);
  return ref;
}

Job& JobTable::submitCpu(uint64_t millions, const JobSeed& seed) {
  Job& job = add(JobKind::Cpu);
  job.iterations = millions * kIterationsPerUnit;
  job.seed = seed;
  job.workers = executor_.workers();
  job.parts.push_back({nodeName_, 0, job.iterations});
  uint64_t id = job.id;
  job.task = executor_.runCpu(seed, 0, job.iterations,
                              [this, id](TaskOutcome outcome) { complete(id, outcome); });
  listener_(job, JobChange::Created);
  return job;
}

Job& JobTable::submitMem(uint64_t mb, uint64_t holdMs) {
  Job& job = add(JobKind::Mem);
  job.mem_mb = mb;
  job.hold_ms = holdMs;
  job.workers = 1;
  uint64_t id = job.id;
  job.task =
      executor_.runMem(mb, holdMs, [this, id](TaskOutcome outcome) { complete(id, outcome); });
  listener_(job, JobChange::Created);
  return job;
}

void JobTable::setState(Job& job, JobState to, const std::string& error) {
  if (!canTransition(job.state, to)) return;
  auto now = Clock::now();
  if (to == JobState::Running) job.started = now;
  if (isTerminal(to)) {
    if (job.started == Clock::time_point{}) job.started = now;
    job.finished = now;
    job.error = error;
    finishedOrder_.push_back(job.id);
  }
  job.state = to;
  listener_(job, JobChange::State);
  if (isTerminal(to)) forgetOldFinished();
}

void JobTable::complete(uint64_t id, const TaskOutcome& outcome) {
  Job* job = find(id);
  if (!job) return;
  job->task.reset();
  // A short job may finish before the loop saw it start: count it from submission.
  if (job->state == JobState::Queued) {
    setState(*job, JobState::Running);
    job->started = job->submitted;
  }
  if (outcome.cancelled) {
    setState(*job, JobState::Cancelled, "cancelled");
  } else if (!outcome.ok) {
    setState(*job, JobState::Failed, outcome.error);
  } else {
    if (job->kind == JobKind::Cpu) job->result = toHex(outcome.digest);
    setState(*job, JobState::Done);
  }
}

Result<void> JobTable::cancel(uint64_t id, const std::string& why) {
  Job* job = find(id);
  if (!job) return fail("job " + std::to_string(id) + " does not exist; see vesta jobs");
  if (isTerminal(job->state))
    return fail("job " + std::to_string(id) + " has already " +
                (job->state == JobState::Done ? std::string("finished")
                                              : std::string(jobStateName(job->state))));
  if (job->task) job->task->requestCancel();
  setState(*job, JobState::Cancelled, why);
  return {};
}

void JobTable::cancelAll(const std::string& why) {
  for (auto& [id, job] : jobs_)
    if (!isTerminal(job->state)) cancel(id, why);
}

Job* JobTable::find(uint64_t id) {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

size_t JobTable::active() const {
  size_t n = 0;
  for (auto& [id, job] : jobs_) n += !isTerminal(job->state);
  return n;
}

void JobTable::tick() {
  for (auto& [id, job] : jobs_) {
    if (isTerminal(job->state) || !job->task) continue;
    if (job->state == JobState::Queued && job->task->started) setState(*job, JobState::Running);
    if (job->state == JobState::Running) listener_(*job, JobChange::Progress);
  }
}

void JobTable::forgetOldFinished() {
  while (finishedOrder_.size() > keepFinished_) {
    uint64_t id = finishedOrder_.front();
    finishedOrder_.pop_front();
    auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    listener_(*it->second, JobChange::Removed);
    jobs_.erase(it);
  }
}

}  // namespace vesta
