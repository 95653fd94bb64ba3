#include "jobs.h"

namespace vesta {

double Job::progress() const {
  if (state == JobState::Done) return 1.0;
  return fraction;
}

uint64_t Job::elapsedMs() const {
  if (started == Clock::time_point{}) return 0;
  auto end = isTerminal(state) ? finished : Clock::now();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(end - started).count());
}

JobTable::JobTable(std::string nodeName, Listener listener, size_t keepFinished)
    : nodeName_(std::move(nodeName)), listener_(std::move(listener)), keepFinished_(keepFinished) {}

Job& JobTable::create(JobKind kind) {
  auto job = std::make_unique<Job>();
  job->id = nextId_++;
  job->kind = kind;
  job->origin = nodeName_;
  job->submitted = Clock::now();
  Job& ref = *job;
  jobs_[ref.id] = std::move(job);
  return ref;
}

void JobTable::setState(Job& job, JobState to, const std::string& error) {
  if (!canTransition(job.state, to)) return;
  auto now = Clock::now();
  if (to == JobState::Running && job.state == JobState::Queued) job.started = now;
  if (isTerminal(to)) {
    if (job.started == Clock::time_point{}) job.started = job.submitted;
    job.finished = now;
    job.error = error;
    finishedOrder_.push_back(job.id);
  }
  job.state = to;
  listener_(job, JobChange::State);
  if (isTerminal(to)) forgetOldFinished();
}

void JobTable::setRunning(Job& job) {
  setState(job, JobState::Running);
}

void JobTable::setPaused(Job& job, bool paused, const std::string& why) {
  if (paused ? job.state != JobState::Running : job.state != JobState::Paused) return;
  job.pauseReason = paused ? why : "";
  setState(job, paused ? JobState::Paused : JobState::Running);
}

void JobTable::finish(Job& job, JobState state, const std::string& result,
                      const std::string& error) {
  if (isTerminal(job.state) || !isTerminal(state)) return;
  if (state == JobState::Done) job.result = result;
  setState(job, state, error);
}

Result<void> JobTable::cancel(uint64_t id, const std::string& why) {
  Job* job = find(id);
  if (!job) return fail("job " + std::to_string(id) + " does not exist; see vesta jobs");
  if (isTerminal(job->state))
    return fail("job " + std::to_string(id) + " has already " +
                (job->state == JobState::Done ? std::string("finished")
                                              : std::string(jobStateName(job->state))));
  if (canceller_) canceller_(*job, why);
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
  for (auto& [id, job] : jobs_)
    if (job->state == JobState::Running || job->state == JobState::Paused)
      listener_(*job, JobChange::Progress);
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
