#include "lender.h"

#include "admission.h"
#include "capacity.h"
#include "chunks.h"
#include "log.h"
#include "plural.h"
#include "proto.h"

namespace vesta {
namespace {

constexpr uint64_t kBadFrameLogMs = 10000;

}  // namespace

struct Lender::Loan {
  std::string origin;  // the coordinator's node name
  uint64_t job = 0;
  JobKind kind = JobKind::Cpu;
  JobSeed seed{};
  uint64_t total = 0;  // cpu: the whole job's iterations; mem: pages + hold ms
  uint64_t done = 0;   // finished here
  uint64_t chunks = 0;
  uint64_t sinceMs = 0;
  uint64_t memMb = 0;  // mem jobs: what it holds
  std::map<uint64_t, std::shared_ptr<Task>> tasks;
};

unsigned Lender::workersFor(const std::string& fp) const {
  // Borrowed chunks run on the budget's whole cores (Executor::setBorrowedLimit), own ones on all.
  return fp.empty() ? executor_.workers() : executor_.borrowedWorkers();
}

std::vector<Lender::MemHolder> Lender::borrowedMemory() const {
  return loans_.collect<MemHolder>(
      [&](const Key& key, const Loan& loan) -> std::optional<MemHolder> {
        if (key.first.empty() || loan.kind != JobKind::Mem || loan.tasks.empty())
          return std::nullopt;
        return MemHolder{key.first, key.second, loan.sinceMs, loan.memMb};
      });
}

void Lender::stopForOwner(const std::string& fp, uint64_t job, const std::string& why) {
  Key key{fp, job};
  if (!loans_.find(key)) return;
  log::warning(
      "stopping " + loans_.find(key)->origin + "'s job " + std::to_string(job) + ": " + why,
      {{"VESTA_PEER", fp}});
  hooks_.send(fp, {FrameType::JobDone, encode(JobDoneMsg{job, false, config_.name + ": " + why})});
  release(key, why);
}

Lender::Lender(uv_loop_t* loop, const Config& config, Executor& executor, Hooks hooks)
    : loop_(loop), config_(config), executor_(executor), hooks_(std::move(hooks)) {}

Lender::~Lender() {
  for (auto& [key, loan] : loans_.live())
    for (auto& [seq, task] : loan->tasks) task->requestCancel();
}

uint64_t Lender::clockMs() const {
  return hooks_.now ? hooks_.now() : uv_now(loop_);
}

void Lender::badFrame(const std::string& fp, const std::string& error) {
  uint64_t now = clockMs();
  if (lastBadFrameLog_ && now - lastBadFrameLog_ < kBadFrameLogMs) return;
  lastBadFrameLog_ = now;
  log::warning("malformed work frame from " + fp + ": " + error, {{"VESTA_PEER", fp}});
}

void Lender::onFrame(const std::string& fp, const Frame& frame) {
  switch (frame.type) {
    case FrameType::Offer:
      return offer(fp, frame);
    case FrameType::Chunk:
      return chunk(fp, frame);
    case FrameType::Release: {
      auto m = decodeReason(frame.payload);
      if (!m) return badFrame(fp, m.error());
      return release({fp, m->job}, m->reason);
    }
    default:
      return badFrame(fp, "unexpected frame type " + std::to_string(static_cast<int>(frame.type)));
  }
}

// Why this node turns the offer down now, or "" to accept. Measured here and now: the beacon
// the coordinator placed by may be a second old.
std::optional<RefuseMsg> Lender::whyRefuse(const std::string& fp, const OfferMsg& m) const {
  const std::string& me = config_.name;
  auto refuse = [&](RefuseCode code, const std::string& why) {
    return std::optional<RefuseMsg>(RefuseMsg{m.job, code, why});
  };
  if (stopping_) return refuse(RefuseCode::Other, me + " is stopping");
  const NodeStatus& s = hooks_.status();
  AdmissionInput in;
  in.node = me;
  in.kind = m.kind;
  in.own = fp.empty();  // the owner's work: no power, cap or spare-core limit, only memory
  in.willingness = s.power.willingness;
  in.powerReason = s.power.reason;
  if (std::string why; !in.own && !hooks_.mayBorrow(fp, &why))
    in.capped = why.empty() ? "capped" : why;
  if (m.kind == JobKind::Mem) {
    MemInfo mem = hooks_.meminfo();
    in.memMb = m.mem_mb;
    in.memOfferMb = config_.mem_offer_mb;
    in.memAvailableMb = mem.available_kb / 1024;
    in.memReserveMb = reserveMb(mem, config_);
    in.reservePct = config_.reserve_pct;
  } else {
    in.spareCores = s.budget.cores;  // the lending budget, recomputed every sample
    in.cpuBusy = s.cpu;
  }
  if (auto refusal = admit(in)) return RefuseMsg{m.job, refusal->code, refusal->text};
  return std::nullopt;
}

void Lender::offer(const std::string& fp, const Frame& frame) {
  auto m = decodeOffer(frame.payload);
  if (!m) return badFrame(fp, m.error());
  std::string origin = fp.empty() ? config_.name : hooks_.nameOf(fp);
  Key key{fp, m->job};
  if (loans_.has(key)) return;  // a repeated offer: the first answer stands
  if (auto refusal = whyRefuse(fp, *m)) {
    log::info("refused job " + std::to_string(m->job) + " from " + origin + ": " + refusal->reason,
              {{"VESTA_PEER", fp}});
    hooks_.send(fp, {FrameType::Refuse, encode(*refusal)});
    return;
  }
  auto loan = std::make_unique<Loan>();
  loan->origin = origin;
  loan->job = m->job;
  loan->kind = m->kind;
  loan->seed = m->seed;
  loan->total = m->iterations;
  loan->sinceMs = clockMs();
  Loan& l = loans_.add(key, std::move(loan));
  unsigned workers = workersFor(fp);
  log::info((fp.empty() ? "running " + origin + "'s own" : "lending to " + origin + ":") + " job " +
                std::to_string(m->job) + " " + jobKindName(m->kind) + " on " +
                countOf(workers, "worker"),
            {{"VESTA_PEER", fp}});
  // At least 1: a coordinator sizes chunks by it, and a budget of 0 now may be 1 in a second.
  hooks_.send(fp, {FrameType::Accept,
                   encode(AcceptMsg{m->job, static_cast<uint16_t>(std::max(1u, workers))})});
  if (m->kind != JobKind::Mem) return;
  l.memMb = m->mem_mb;
  uint64_t seq = nextTask_++;
  auto task =
      executor_.runMem(m->mem_mb, m->hold_ms, !fp.empty(), [this, key, origin](TaskOutcome o) {
        account(key, origin, o, true);
        Loan* found = loans_.find(key);
        if (!found || o.cancelled) return;
        found->done = found->total;
        hooks_.send(key.first, {FrameType::JobDone, encode(JobDoneMsg{key.second, o.ok, o.error})});
        loans_.retire(key);
      });
  l.total = task->total;
  l.tasks[seq] = std::move(task);
}

void Lender::chunk(const std::string& fp, const Frame& frame) {
  auto m = decodeChunk(frame.payload);
  if (!m) return badFrame(fp, m.error());
  Key key{fp, m->job};
  Loan* held = loans_.find(key);
  if (!held || held->kind != JobKind::Cpu) {
    // Not ours (released, or this node restarted): say so, and the coordinator re-places it.
    hooks_.send(fp, {FrameType::JobDone,
                     encode(JobDoneMsg{m->job, false, config_.name + " has no such job"})});
    return;
  }
  uint64_t seq = nextTask_++;
  Range range{m->first, m->end};
  std::string origin = held->origin;
  auto task = executor_.runCpu(
      held->seed, m->first, m->end, !fp.empty(), [this, key, seq, range, origin](TaskOutcome o) {
        account(key, origin, o, false);
        Loan* found = loans_.find(key);
        if (!found) return;
        Loan& loan = *found;
        loan.tasks.erase(seq);
        if (o.cancelled) return;
        if (!o.ok) {
          hooks_.send(key.first,
                      {FrameType::JobDone, encode(JobDoneMsg{key.second, false, o.error})});
          loans_.retire(key);
          return;
        }
        loan.done += range.size();
        loan.chunks += 1;
        hooks_.send(key.first, {FrameType::ChunkDone, encode(ChunkDoneMsg{key.second, range.first,
                                                                          range.end, o.digest})});
      });
  held->tasks[seq] = std::move(task);
}

void Lender::account(const Key& key, const std::string& origin, const TaskOutcome& o,
                     bool jobEnded) {
  // This node's own work is neither lent nor borrowed: nothing to count on either side.
  if (key.first.empty() || (o.coreSeconds <= 0 && o.mibSeconds <= 0)) return;
  hooks_.lent(key.first, origin, o.coreSeconds, o.mibSeconds, jobEnded);
  // Before the result itself, so the coordinator has counted the work when the job ends.
  hooks_.send(key.first, {FrameType::Usage,
                          encode(UsageMsg{key.second, static_cast<uint64_t>(o.coreSeconds * 1e6),
                                          static_cast<uint64_t>(o.mibSeconds * 1e3)})});
}

void Lender::release(const Key& key, const std::string& why) {
  Loan* loan = loans_.find(key);
  if (!loan) return;
  for (auto& [seq, task] : loan->tasks) task->requestCancel();
  bool own = key.first.empty();
  log::info(
      (own ? "stopped " + loan->origin + "'s own" : "stopped lending to " + loan->origin + ":") +
          " job " + std::to_string(key.second) + " " + why + " (" + countOf(loan->chunks, "chunk") +
          " done here)",
      {{"VESTA_PEER", key.first}});
  loans_.retire(key);
  if (own) return;  // nothing of it is in the ledger
  // Every finished chunk's usage is recorded before its result goes out, so the job is whole
  // in the ledger by now; work cancelled just now is counted when its threads stop.
  if (hooks_.jobEnded) hooks_.jobEnded();
}

void Lender::onLinkDown(const std::string& fp) {
  for (auto& key : loans_.keysOfPeer(fp)) release(key, "ended: the link to its node is down");
}

void Lender::tick() {
  loans_.reap();
  for (auto& [key, loan] : loans_.live()) {
    if (loan->kind == JobKind::Mem) {
      uint64_t done = 0;
      for (auto& [seq, task] : loan->tasks) done = task->done;
      loan->done = std::min(done, loan->total);
      hooks_.send(key.first,
                  {FrameType::Progress, encode(ProgressMsg{key.second, loan->done, loan->total})});
    } else if (key.first.empty()) {
      // This node's own cpu job shows the chunks it is hashing now, not only finished ones, as
      // it did when the coordinator ran them itself. Peers never get cpu progress (protocol).
      uint64_t inFlight = 0;
      for (auto& [seq, task] : loan->tasks) inFlight += task->done;
      uint64_t done = std::min(loan->done + inFlight, loan->total);
      hooks_.send(key.first,
                  {FrameType::Progress, encode(ProgressMsg{key.second, done, loan->total})});
    }
  }
}

void Lender::shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  for (auto& key : loans_.keys()) {
    hooks_.send(key.first, {FrameType::JobDone,
                            encode(JobDoneMsg{key.second, false, config_.name + " " + why})});
    release(key, why);
  }
}

std::vector<Flow> Lender::flows() const {
  uint64_t now = clockMs();
  return loans_.collect<Flow>([&](const Key& key, const Loan& loan) -> std::optional<Flow> {
    if (key.first.empty()) return std::nullopt;  // this node's own work: no flow to show
    uint64_t inFlight = 0;
    if (loan.kind == JobKind::Cpu)
      for (auto& [seq, task] : loan.tasks) inFlight += task->done;
    return Flow{.lending = true,
                .job = key.second,
                .kind = loan.kind,
                .peer = loan.origin,
                .peerFingerprint = key.first,
                .cores = workersFor(key.first),
                .done = std::min(loan.done + inFlight, loan.total),
                .total = loan.total,
                .elapsedMs = now - loan.sinceMs,
                .paused = {}};
  });
}

}  // namespace vesta
