#include "coordinator.h"

#include <algorithm>
#include <deque>

#include "hex.h"
#include "log.h"
#include "plural.h"
#include "proto.h"

namespace vesta {
namespace {

constexpr uint64_t kOfferTimeoutMs = 5000;  // a runner that neither accepts nor refuses by then
constexpr uint64_t kBadFrameLogMs = 10000;  // rate limit for logging malformed work frames

}  // namespace

struct Coordinator::Part {
  std::string name, fingerprint;  // fingerprint empty: this node
  PartState state = PartState::Offered;
  unsigned workers = 0;
  uint64_t sinceMs = 0;
  uint64_t memDone = 0, memTotal = 0;
  uint64_t cpuDone = 0;  // this node's own runner's progress, chunks in flight included
  std::string note;
  RefuseCode refusal = RefuseCode::Other;

  bool self() const { return fingerprint.empty(); }
  bool active() const { return state == PartState::Offered || state == PartState::Running; }
};

struct Coordinator::Run {
  uint64_t id = 0;
  JobKind kind = JobKind::Cpu;
  JobSeed seed{};
  uint64_t iterations = 0, memMb = 0, holdMs = 0;
  PlacementRequest request;
  std::unique_ptr<ChunkScheduler> chunks;  // cpu
  std::deque<Part> parts;  // a deque: adding a part keeps references to the others valid
  std::map<std::string, std::string> excluded;  // node name -> why it is not asked again
  uint64_t startedMs = 0;

  Part* part(const std::string& name) {
    for (auto& p : parts)
      if (p.name == name && p.active()) return &p;
    return nullptr;
  }
  bool anyActive() const {
    return std::any_of(parts.begin(), parts.end(), [](const Part& p) { return p.active(); });
  }
};

uint64_t Coordinator::clockMs() const {
  return hooks_.now ? hooks_.now() : uv_now(loop_);
}

Coordinator::Coordinator(uv_loop_t* loop, const Config& config, JobTable& jobs, Hooks hooks)
    : loop_(loop), jobs_(jobs), hooks_(std::move(hooks)), policy_(PlacementPolicy::from(config)) {}

Coordinator::~Coordinator() {
  Coordinator::shutdown("vestad is exiting");
}

Result<Job*> Coordinator::submitCpu(uint64_t millions, const JobSeed& seed,
                                    const PlacementRequest& how) {
  if (auto r = checkCpuArgs(millions); !r) return fail(r.error());
  Job& job = jobs_.create(JobKind::Cpu);
  job.iterations = millions * kIterationsPerUnit;
  job.seed = seed;
  Run run;
  run.kind = JobKind::Cpu;
  run.seed = seed;
  run.iterations = job.iterations;
  run.request = how;
  run.request.kind = JobKind::Cpu;
  run.request.iterations = job.iterations;
  run.chunks = std::make_unique<ChunkScheduler>(job.iterations);
  return start(job, std::move(run));
}

Result<Job*> Coordinator::submitMem(uint64_t mb, uint64_t holdMs, const PlacementRequest& how) {
  if (auto r = checkMemArgs(mb, holdMs); !r) return fail(r.error());
  Job& job = jobs_.create(JobKind::Mem);
  job.mem_mb = mb;
  job.hold_ms = holdMs;
  Run run;
  run.kind = JobKind::Mem;
  run.memMb = mb;
  run.holdMs = holdMs;
  run.request = how;
  run.request.kind = JobKind::Mem;
  run.request.mem_mb = mb;
  return start(job, std::move(run));
}

Job* Coordinator::start(Job& job, Run run) {
  runs_.reap();  // not inside any run's callback here: safe to free ended runs
  run.id = job.id;
  run.startedMs = clockMs();
  uint64_t id = job.id;
  Run& r = runs_.add(id, std::make_unique<Run>(std::move(run)));
  jobs_.publish(job);
  place(r);
  return jobs_.find(id);  // still listed: it was just made, so it is the newest
}

// Asks the autopilot where the job (or what is left of it) should go, and starts those parts.
void Coordinator::place(Run& run) {
  Job* job = jobs_.find(run.id);
  if (!job) return;
  auto views = hooks_.views();
  for (auto& v : views) {
    auto it = run.excluded.find(v.name);
    if (it != run.excluded.end()) v.refused = it->second;
  }
  Plan plan = vesta::place(run.request, views, policy_);
  bool first = job->reason.empty();
  if (!plan.ok()) {
    log::info("job " + job->idText() + ": " + plan.error, {{"VESTA_JOB", job->idText()}});
    return finishRun(run.id, JobState::Failed, "", plan.error);
  }
  job->reason = first ? plan.reason : job->reason + "; then " + plan.reason;
  log::info("job " + job->idText() + " " + jobKindName(run.kind) + " placed: " + plan.reason,
            {{"VESTA_JOB", job->idText()}});
  for (const auto& name : plan.nodes)
    for (const auto& v : views)
      if (v.name == name && !run.part(name)) addPart(run, v);
  if (runs_.has(run.id)) updateJob(run);
}

// Every part, this node's included, is offered to a runner: this node's own Lender answers
// through the loopback queue (fingerprint ""), so a range runs one way wherever it runs.
void Coordinator::addPart(Run& run, const NodeView& node) {
  Part part;
  part.name = node.name;
  part.fingerprint = node.self ? "" : node.fingerprint;
  part.sinceMs = clockMs();
  OfferMsg offer{run.id, run.kind, run.seed, run.iterations, run.memMb, run.holdMs};
  run.parts.push_back(std::move(part));
  if (!hooks_.send(run.parts.back().fingerprint, {FrameType::Offer, encode(offer)}))
    partFailed(run, run.parts.back(), false, "no link");
}

// Keeps every running part supplied with chunks.
void Coordinator::pump(Run& run) {
  if (run.kind != JobKind::Cpu) return;
  uint64_t now = clockMs();
  uint64_t id = run.id;
  for (size_t i = 0; runs_.has(id) && i < run.parts.size(); ++i) {
    Part& p = run.parts[i];
    if (p.state != PartState::Running) continue;
    for (Range r : run.chunks->fill(p.name, now)) {
      if (!hooks_.send(p.fingerprint, {FrameType::Chunk, encode(ChunkMsg{id, r.first, r.end})})) {
        partFailed(run, run.parts[i], false, "link down");
        break;
      }
    }
  }
}

void Coordinator::afterChunk(Run& run) {
  if (run.chunks->done()) {
    for (auto& p : run.parts)
      if (p.state == PartState::Running) p.state = PartState::Done;
    return finishRun(run.id, JobState::Done, toHex(run.chunks->result()), "");
  }
  updateJob(run);
  pump(run);
}

// A part that will not finish: its chunks go back to the pool. With no part left, the job is
// placed again without the nodes that failed it; --on and --local jobs fail instead.
void Coordinator::partFailed(Run& run, Part& part, bool refused, const std::string& why,
                             bool failedThere) {
  if (!part.active()) return;
  part.state = refused ? PartState::Refused : failedThere ? PartState::Failed : PartState::Lost;
  part.note = why;
  if (!refused)
    hooks_.send(part.fingerprint,
                {FrameType::Release, encode(ReasonMsg{run.id, "given elsewhere"})});
  uint64_t back = run.kind == JobKind::Cpu ? run.chunks->lose(part.name) : 0;
  std::string what = part.name +
                     (refused       ? " refused: "
                      : failedThere ? " failed: "
                                    : " lost: ") +
                     why;
  run.excluded[part.name] = refused       ? "refused: " + why
                            : failedThere ? "failed: " + why
                                          : "lost it: " + why;
  log::notice("job " + std::to_string(run.id) + ": " + what +
                  (back ? "; " + std::to_string(back) + " iterations go back to the pool" : ""),
              {{"VESTA_JOB", std::to_string(run.id)}});
  if (!run.request.on.empty() || run.request.local)
    return finishRun(run.id, JobState::Failed, "", what);
  if (run.anyActive()) {
    updateJob(run);
    return pump(run);
  }
  place(run);
}

void Coordinator::stopParts(Run& run, const std::string& why) {
  for (auto& p : run.parts) {
    // Runners whose part is done still hold a record of the job (and maybe a backup copy of a
    // chunk): release them too.
    if (p.active() || p.state == PartState::Done)
      hooks_.send(p.fingerprint, {FrameType::Release, encode(ReasonMsg{run.id, why})});
    if (p.active()) p.state = PartState::Released;
  }
}

void Coordinator::finishRun(uint64_t id, JobState state, const std::string& result,
                            const std::string& error) {
  Run* found = runs_.find(id);
  if (!found) return;
  Run& run = *found;
  // Callers up the stack may still hold the run: retired, it lives until the next tick.
  runs_.retire(id);
  stopParts(run, state == JobState::Done ? "done" : error);
  if (hooks_.jobEnded) hooks_.jobEnded();
  Job* job = jobs_.find(id);
  if (!job) return;
  updateJob(run);
  jobs_.finish(*job, state, result, error);
}

void Coordinator::updateJob(Run& run) {
  Job* job = jobs_.find(run.id);
  if (!job) return;
  std::vector<JobPart> parts;
  std::vector<std::string> names;  // a node asked twice (lost, then placed again) shows once
  std::string where;
  unsigned workers = 0, workedWorkers = 0;  // running now; of the parts that finished chunks
  uint64_t memDone = 0, memTotal = 0, inFlight = 0;
  for (auto& p : run.parts) {
    JobPart jp{p.name, partStateName(p.state), 0, 0, p.note, p.refusal};
    if (run.kind == JobKind::Cpu) {
      jp.iterations = run.chunks->completedBy(p.name);
      jp.chunks = run.chunks->chunksBy(p.name);
      if (p.state == PartState::Running && p.cpuDone > jp.iterations)
        inFlight += p.cpuDone - jp.iterations;
    } else {
      if (p.active() || p.state == PartState::Done) memDone = p.memDone, memTotal = p.memTotal;
    }
    bool worked = p.state == PartState::Running || p.state == PartState::Done || jp.iterations > 0;
    if (worked && std::find(names.begin(), names.end(), p.name) == names.end()) {
      names.push_back(p.name);
      where += (where.empty() ? "" : "+") + p.name;
    }
    if (p.state == PartState::Running) workers += p.workers;
    if (jp.iterations > 0) workedWorkers += p.workers;
    parts.push_back(std::move(jp));
  }
  bool partsChanged = parts.size() != job->parts.size() || where != job->node;
  for (size_t i = 0; !partsChanged && i < parts.size(); ++i)
    partsChanged =
        parts[i].state != job->parts[i].state || parts[i].iterations != job->parts[i].iterations;
  job->parts = std::move(parts);
  if (!where.empty()) job->node = where;
  if (workers) job->workers = workers;
  // Once nothing runs, the job's workers are those that did its work: a node that left, or
  // finished no chunk, does not divide the per-worker rate.
  if (run.kind == JobKind::Cpu && !run.anyActive() && workedWorkers) job->workers = workedWorkers;
  if (run.kind == JobKind::Cpu)
    job->fraction =
        static_cast<double>(std::min(run.chunks->completed() + inFlight, run.iterations)) /
        static_cast<double>(run.iterations);
  else
    job->fraction = memTotal ? static_cast<double>(memDone) / static_cast<double>(memTotal) : 0;
  if (job->state == JobState::Queued && run.anyActive() &&
      std::any_of(run.parts.begin(), run.parts.end(),
                  [](const Part& p) { return p.state == PartState::Running; }))
    jobs_.setRunning(*job);
  if (partsChanged) jobs_.partsChanged(*job);
}

Coordinator::Run* Coordinator::runFor(const std::string& fp, uint64_t job, Part** part) {
  Run* run = runs_.find(job);
  *part = nullptr;
  if (!run) return nullptr;
  for (auto& p : run->parts)
    if (p.fingerprint == fp && p.active()) *part = &p;
  return *part ? run : nullptr;
}

void Coordinator::onFrame(const std::string& fp, const Frame& frame) {
  auto bad = [&](const std::string& error) {
    uint64_t now = clockMs();
    if (now - lastBadFrameLog_ < kBadFrameLogMs && lastBadFrameLog_) return;
    lastBadFrameLog_ = now;
    log::warning("malformed work frame from " + fp + ": " + error, {{"VESTA_PEER", fp}});
  };
  Part* part = nullptr;
  switch (frame.type) {
    case FrameType::Accept: {
      auto m = decodeAccept(frame.payload);
      if (!m) return bad(m.error());
      Run* run = runFor(fp, m->job, &part);
      if (!run || part->state != PartState::Offered) return;
      part->state = PartState::Running;
      part->workers = std::max<unsigned>(m->workers, 1);
      part->sinceMs = clockMs();
      log::info("job " + std::to_string(run->id) + ": " + part->name + " accepted with " +
                    countOf(part->workers, "worker"),
                {{"VESTA_JOB", std::to_string(run->id)}, {"VESTA_PEER", fp}});
      if (run->kind == JobKind::Cpu) run->chunks->addRunner(part->name, part->workers);
      part->memTotal = run->memMb * 256 + run->holdMs;  // pages + ms, as the runner counts
      updateJob(*run);
      return pump(*run);
    }
    case FrameType::Refuse: {
      auto m = decodeRefuse(frame.payload);
      if (!m) return bad(m.error());
      Run* run = runFor(fp, m->job, &part);
      if (!run) return;
      if (m->code == RefuseCode::Capped && hooks_.capped) hooks_.capped(fp);
      part->refusal = m->code;
      return partFailed(*run, *part, true, m->reason);
    }
    case FrameType::ChunkDone: {
      auto m = decodeChunkDone(frame.payload);
      if (!m) return bad(m.error());
      Run* run = runFor(fp, m->job, &part);
      if (!run) {
        // Work for a job that ended here: make sure the runner stops.
        if (!runs_.has(m->job))
          hooks_.send(fp, {FrameType::Release, encode(ReasonMsg{m->job, "no such job"})});
        return;
      }
      if (run->kind != JobKind::Cpu) return bad("chunk result for a mem job");
      if (run->chunks->complete(part->name, {m->first, m->end}, m->digest, clockMs()))
        afterChunk(*run);
      return;
    }
    case FrameType::Progress: {
      auto m = decodeProgress(frame.payload);
      if (!m) return bad(m.error());
      Run* run = runFor(fp, m->job, &part);
      if (!run) return;
      if (run->kind == JobKind::Cpu) {
        part->cpuDone = m->done;
        return;
      }
      part->memDone = m->done;
      part->memTotal = m->total;
      return;
    }
    case FrameType::Usage: {
      // Counted whether or not the job is still here: the work was done for us either way.
      auto m = decodeUsage(frame.payload);
      if (!m) return bad(m.error());
      return hooks_.borrowed(fp, static_cast<double>(m->cpu_us) / 1e6,
                             static_cast<double>(m->mib_ms) / 1e3);
    }
    case FrameType::JobDone: {
      auto m = decodeJobDone(frame.payload);
      if (!m) return bad(m.error());
      Run* run = runFor(fp, m->job, &part);
      if (!run) return;
      if (m->ok && run->kind == JobKind::Mem) {
        part->state = PartState::Done;
        part->memDone = part->memTotal;
        return finishRun(run->id, JobState::Done, "", "");
      }
      // The node itself says its part failed (a mem job it could not map): its failure.
      return partFailed(*run, *part, false, m->ok ? "ended without finishing" : m->error, true);
    }
    default:
      return bad("unexpected frame type " + std::to_string(static_cast<int>(frame.type)));
  }
}

void Coordinator::onLinkDown(const std::string& fp) {
  for (uint64_t id : runs_.keys()) {
    Run* run = runs_.find(id);
    if (!run) continue;
    for (size_t i = 0; i < run->parts.size(); ++i) {
      Part& p = run->parts[i];
      if (p.fingerprint == fp && p.active()) {
        partFailed(*run, p, false, "link down");
        break;
      }
    }
  }
}

void Coordinator::cancel(Job& job, const std::string& why) {
  Run* found = runs_.find(job.id);
  if (!found) return;
  Run& run = *found;
  runs_.retire(job.id);
  stopParts(run, why);
  updateJob(run);
}

void Coordinator::tick() {
  runs_.reap();
  uint64_t now = clockMs();
  for (uint64_t id : runs_.keys()) {
    Run* found = runs_.find(id);
    if (!found) continue;
    Run& run = *found;
    for (size_t i = 0; i < run.parts.size() && runs_.has(id); ++i)
      if (run.parts[i].state == PartState::Offered && now - run.parts[i].sinceMs > kOfferTimeoutMs)
        partFailed(run, run.parts[i], true, "did not answer the offer");
    if (!runs_.has(id)) continue;
    pump(run);  // an idle part may back up a stalled chunk
    if (runs_.has(id)) updateJob(run);
  }
}

void Coordinator::shutdown(const std::string& /*why*/) {
  for (uint64_t id : runs_.keys()) {
    if (Run* run = runs_.find(id)) stopParts(*run, "the submitting vestad stopped");
    runs_.retire(id);
  }
  runs_.reap();
}

std::vector<Flow> Coordinator::flows() const {
  std::vector<Flow> out;
  uint64_t now = clockMs();
  for (auto& [id, run] : runs_.live())
    for (auto& p : run->parts) {
      if (p.self() || p.state != PartState::Running) continue;
      Flow f;
      f.lending = false;
      f.job = id;
      f.kind = run->kind;
      f.peer = p.name;
      f.peerFingerprint = p.fingerprint;
      f.cores = p.workers;
      f.done = run->kind == JobKind::Cpu ? run->chunks->completedBy(p.name) : p.memDone;
      f.total = run->kind == JobKind::Cpu ? run->iterations : p.memTotal;
      f.elapsedMs = now - p.sinceMs;
      out.push_back(f);
    }
  return out;
}

}  // namespace vesta
