#include "exec_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "api.h"
#include "arch_template.h"
#include "exec_result.h"
#include "log.h"
#include "machine_arch.h"
#include "proto.h"
#include "stdin_relay.h"
#include "unique_fd.h"
#include "uvpp.h"

namespace vesta {
namespace {

using S = ExecClientState;

constexpr uint64_t kOfferTimeoutMs = 10'000;  // no Accept or Refuse by then: place elsewhere
constexpr uint64_t kCreditEvery = kStreamWindow / 8;

// The architecture of the program a command runs, when it is one of the --put files: read from
// the start of that file. None for a program of the runner's own (PATH, an absolute path) and
// for a file that is neither ELF nor #! (the runner's execve says what is wrong with it).
std::optional<ProgramArch> shippedProgramArch(const std::string& argv0,
                                              const std::vector<ExecClient::PutFile>& puts,
                                              const std::vector<UniqueFd>& fds) {
  if (!namesShippedProgram(argv0)) return std::nullopt;
  std::string name = argv0;
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  for (size_t i = 0; i < puts.size() && i < fds.size(); ++i) {
    if (puts[i].name != name) continue;
    char head[64];
    ssize_t n = ::pread(fds[i].get(), head, sizeof head, 0);
    if (n <= 0) return std::nullopt;
    auto arch = programArch(std::string_view(head, static_cast<size_t>(n)));
    return arch ? std::optional(*arch) : std::nullopt;
  }
  return std::nullopt;
}

std::string commandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out.size() > 120 ? out.substr(0, 117) + "..." : out;
}

}  // namespace

// One of the submitter's pipes. Writes never block the loop: what the pipe cannot take now
// waits here (at most a window's worth, because credit only returns once it is written).
struct ExecClient::Sink {
  UniqueFd fd;
  std::unique_ptr<uv::Poll> poll;
  std::deque<Bytes> queue;
  size_t offset = 0;  // into queue.front()
  bool broken = false;
  ~Sink() { close(); }
  void close() {
    if (poll) poll->close();  // before its descriptor: a uv poll must not outlive its fd
    poll.reset();
    fd.reset();
    queue.clear();
  }
};

struct ExecClient::Run {
  Job* job = nullptr;
  Request req;
  ExecClientState state = ExecClientState::Queued;
  std::string node, fp;  // where it was offered or runs; fp empty for this node
  uint64_t offeredAt = 0;
  std::map<std::string, std::string> refused;  // node -> why, never asked again for this job
  ArchRequest arch;               // the shipped program's architecture and --arch, for placement
  std::vector<std::string> gets;  // req.gets with {arch} expanded for the node offered
  Sink sinks[3];
  uint64_t creditOwed = 0;     // output written to the submitter, not yet credited to the runner
  std::vector<size_t> toSend;  // indexes into req.puts, as the runner asked
  size_t sending = 0;          // position in toSend
  uint64_t sendOffset = 0;
  uint64_t fileCredit = kStreamWindow;
  FilesStreamParser filesCheck;        // the --get stream, checked before it reaches the submitter
  std::vector<UniqueFd> putFds;        // req.puts' descriptors, by index (theirs are left at -1)
  std::unique_ptr<StdinSource> input;  // the submitter's stdin, read once the runner accepts
  uint64_t acceptedAt = 0;             // when the runner took it: its GPUs are held from then
  std::string reasonBeforeWait;        // the job's reason before a "waiting: ..." replaced it
  bool waiting = false;
};

ExecClient::ExecClient(uv_loop_t* loop, const Config& config, JobTable& jobs, Hooks hooks)
    : loop_(loop),
      config_(config),
      jobs_(jobs),
      hooks_(std::move(hooks)),
      policy_(PlacementPolicy::from(config)) {}

ExecClient::~ExecClient() = default;

uint64_t ExecClient::clockMs() const {
  return hooks_.now ? hooks_.now() : uv_now(loop_);
}

Result<Job*> ExecClient::submit(Request req) {
  // Owned from here on, whatever happens: a refused request closes them on the way out.
  auto run = std::make_unique<Run>();
  UniqueFd* fds[3] = {&req.out, &req.err, &req.files};
  for (int i = 0; i < 3; ++i) run->sinks[i].fd = std::move(*fds[i]);
  for (auto& p : req.puts) run->putFds.push_back(std::move(p.fd));
  if (req.argv.empty() || req.argv[0].empty())
    return fail("argv: empty; give the command after --, e.g. vesta exec -- make -j4");
  if (auto ok = api::checkOnLocal(req.on, req.local, "on and local"); !ok) return fail(ok.error());
  Job& job = jobs_.create(JobKind::Exec);
  job.argv = req.argv;
  job.batchMore = req.batch.size();
  job.workers = 1;
  run->job = &job;
  if (req.in) run->input = std::make_unique<StdinSource>(loop_, job.id, std::move(req.in));
  for (auto& sink : run->sinks) {
    if (!sink.fd) continue;
    int fd = sink.fd.get();
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    sink.poll = std::make_unique<uv::Poll>(loop_, fd);
  }
  run->arch = {shippedProgramArch(req.argv[0], req.puts, run->putFds), req.argv[0], req.archs};
  std::string batchNote =
      req.batch.empty() ? "" : " (a batch of " + std::to_string(req.batch.size() + 1) + ")";
  run->req = std::move(req);
  runs_.add(job.id, std::move(run));
  queue_.push_back(job.id);
  jobs_.publish(job);
  log::info("job " + job.idText() + " exec " + commandLine(job.argv) + batchNote,
            {{"VESTA_JOB", job.idText()}});
  dispatch();
  return &job;
}

std::map<std::string, unsigned> ExecClient::gpusOn() const {
  std::map<std::string, unsigned> out;
  for (auto& [id, run] : runs_.live())
    if (run->req.gpus && (run->state == S::Offered || run->state == S::Running))
      out[run->node] += run->req.gpus;
  return out;
}

std::map<std::string, unsigned> ExecClient::runningOn() const {
  std::map<std::string, unsigned> out;
  for (auto& [id, run] : runs_.live())
    if (run->state == S::Offered || run->state == S::Running) ++out[run->node];
  return out;
}

void ExecClient::dispatch() {
  if (dispatching_) return;  // a local refusal can arrive while we are placing
  dispatching_ = true;
  std::deque<uint64_t> waiting;
  // The nodes and what runs where, once per pass and kept up to date as commands are offered:
  // asked again for every queued command, a fan-out's full queue cost O(queue x runs) per end.
  const auto nodes = hooks_.views();
  auto running = runningOn();
  auto gpus = gpusOn();
  while (!queue_.empty()) {
    uint64_t id = queue_.front();
    queue_.pop_front();
    Run* found = runs_.find(id);
    if (!found || found->state != S::Queued) continue;
    Run& run = *found;
    auto views = nodes;
    for (auto& v : views) {
      v.exec_running = running.count(v.name) ? running[v.name] : 0;
      v.gpu_running = gpus.count(v.name) ? gpus[v.name] : 0;
      if (auto r = run.refused.find(v.name); r != run.refused.end()) v.refused = r->second;
    }
    PlacementRequest how;
    how.kind = JobKind::Exec;
    how.on = run.req.on;
    how.local = run.req.local;
    how.avoid = run.req.avoid;
    how.argv0 = run.req.argv[0];
    how.shipped = namesShippedProgram(run.req.argv[0]);
    how.gpus = run.req.gpus;
    how.arch = run.arch;
    Plan plan = placeExec(how, views, policy_);
    if (plan.wait) {
      // A GPU job says what it waits for (its Reason on the bus): whose GPUs are busy.
      if (run.req.gpus && run.job->reason != "waiting: " + plan.reason) {
        if (!run.waiting) run.reasonBeforeWait = run.job->reason;
        run.waiting = true;
        run.job->reason = "waiting: " + plan.reason;
        jobs_.partsChanged(*run.job);
      }
      waiting.push_back(id);
      continue;
    }
    if (run.waiting) {
      run.job->reason = run.reasonBeforeWait;
      run.waiting = false;
    }
    if (!plan.ok()) {
      finish(run, JobState::Failed, "", plan.error);
      continue;
    }
    for (auto& v : views)
      if (v.name == plan.nodes[0]) {
        ++running[v.name];
        gpus[v.name] += run.req.gpus;
        offer(run, v, plan.reason);
        if (run.state == S::Queued) {  // it could not be sent: requeued
          --running[v.name];
          gpus[v.name] -= run.req.gpus;
        }
      }
  }
  queue_ = std::move(waiting);
  dispatching_ = false;
}

void ExecClient::offer(Run& run, const NodeView& node, const std::string& reason) {
  moveState(run.state, S::Offered);
  run.node = node.name;
  run.fp = node.self ? "" : node.fingerprint;
  run.offeredAt = clockMs();
  Job& job = *run.job;
  job.node = node.name;
  job.reason = job.reason.empty() ? reason : job.reason + "; then " + reason;
  jobs_.partsChanged(job);
  ExecOfferMsg m;
  m.job = job.id;
  // {arch} becomes this node's machine; it gets only its own variants of the templated files.
  const std::string& machine = node.platform.arch.machine;
  for (auto& a : run.req.argv) m.argv.push_back(expandArch(a, machine));
  m.timeout_ms = run.req.timeoutMs;
  m.mem_mb = run.req.memMb;
  m.cpu_s = run.req.cpuS;
  for (auto& p : run.req.puts)
    if (putBelongsTo(p.name, run.req.archFiles, machine))
      m.files.push_back({p.name, p.sha256, p.size, p.executable});
  for (auto& g : run.req.gets) m.gets.push_back(expandArch(g, machine));
  run.gets = m.gets;
  m.stdin_piped = run.input != nullptr;
  m.gpus = static_cast<uint8_t>(run.req.gpus);
  m.framed = run.req.framed;
  for (auto& command : run.req.batch) {
    m.batch.emplace_back();
    for (auto& a : command) m.batch.back().push_back(expandArch(a, machine));
  }
  log::info("job " + job.idText() + " offered to " + node.name + ": " + reason,
            {{"VESTA_JOB", job.idText()}});
  if (!hooks_.send(run.fp, {FrameType::ExecOffer, encode(m)})) requeue(run, "could not be reached");
}

void ExecClient::requeue(Run& run, const std::string& why) {
  if (!moveState(run.state, S::Queued)) return;
  run.refused[run.node] = why;
  log::info("job " + run.job->idText() + ": " + run.node + " " + why,
            {{"VESTA_JOB", run.job->idText()}});
  queue_.push_front(run.job->id);
  dispatch();
}

ExecClient::Run* ExecClient::runFrom(const std::string& fp, uint64_t job) {
  Run* found = runs_.find(job);
  if (!found || found->fp != fp) return nullptr;
  Run& run = *found;
  if (run.state != S::Offered && run.state != S::Running) return nullptr;
  return &run;
}

void ExecClient::onFrame(const std::string& fp, const Frame& frame) {
  switch (frame.type) {
    case FrameType::ExecRefuse: {
      auto m = decodeRefuse(frame.payload);
      if (!m) return;
      Run* run = runFrom(fp, m->job);
      if (!run || run->state != S::Offered) return;
      // Its reason is its own sentence, kept whole as a cpu job's is ("pi4 refused: pi4: exec
      // is off there (allow_exec)"): never taken apart.
      return requeue(*run, "refused: " + m->reason);
    }
    case FrameType::ExecAccept: {
      auto m = decodeExecAccept(frame.payload);
      if (!m) return;
      Run* run = runFrom(fp, m->job);
      if (!run || !moveState(run->state, S::Running)) return;
      run->acceptedAt = clockMs();
      for (auto& d : m->missing) {
        auto p = std::find_if(run->req.puts.begin(), run->req.puts.end(),
                              [&](const PutFile& f) { return f.sha256 == d; });
        if (p == run->req.puts.end()) {
          hooks_.send(fp, {FrameType::ExecRelease,
                           encode(ReasonMsg{m->job, "asked for a file it was not offered"})});
          return finish(*run, JobState::Failed, "",
                        run->node + " asked for a file it was not offered");
        }
        run->toSend.push_back(static_cast<size_t>(p - run->req.puts.begin()));
      }
      jobs_.setRunning(*run->job);
      if (run->input)
        run->input->start([this, fp](StdinMsg piece) {
          hooks_.send(fp, {FrameType::ExecStdin, encode(piece)});
        });
      return pumpFiles(*run);
    }
    case FrameType::FileCredit: {
      auto m = decodeCredit(frame.payload);
      if (!m || m->for_output) return;
      Run* run = runFrom(fp, m->job);
      if (!run) return;
      run->fileCredit = std::min(kStreamWindow, run->fileCredit + m->bytes);
      return pumpFiles(*run);
    }
    case FrameType::StdinCredit: {
      auto m = decodeStdinCredit(frame.payload);
      if (!m) return;
      Run* run = runFrom(fp, m->job);
      if (!run || run->state != S::Running) return;
      // A runner crediting stdin it was never sent is not believed: the job stops.
      auto ok = run->input ? run->input->credit(*m)
                           : Result<void>(fail("credited stdin of a command that has none"));
      if (!ok) {
        hooks_.send(fp, {FrameType::ExecRelease, encode(ReasonMsg{m->job, ok.error()})});
        return finish(*run, JobState::Failed, "", run->node + " " + ok.error());
      }
      return;
    }
    case FrameType::Output: {
      auto m = decodeOutput(frame.payload);
      if (!m) return;
      Run* run = runFrom(fp, m->job);
      if (!run) return;
      if (m->stream == OutputStream::State) {  // paused or running again there; no credit
        std::string why(m->data.begin() + 1, m->data.end());
        log::info("job " + run->job->idText() + (m->data[0] ? " paused: " + why : " resumed"),
                  {{"VESTA_JOB", run->job->idText()}});
        return jobs_.setPaused(*run->job, m->data[0] != 0, why);
      }
      return deliver(*run, m->stream, std::move(m->data));
    }
    case FrameType::ExecExit: {
      auto m = decodeExecExit(frame.payload);
      if (!m) return;
      Run* run = runFrom(fp, m->job);
      if (!run) return;
      return onExit(*run, *m);
    }
    case FrameType::ExecUsage: {
      auto m = decodeUsage(frame.payload);
      if (!m || fp.empty() || !runs_.has(m->job)) return;
      hooks_.borrowed(fp, static_cast<double>(m->cpu_us) / 1e6,
                      static_cast<double>(m->mib_ms) / 1000.0);
      return;
    }
    default:
      return;
  }
}

// Sends the shipped files the runner asked for, a window at a time.
void ExecClient::pumpFiles(Run& run) {
  uint8_t buf[kMaxDataPiece];
  while (run.fileCredit > 0 && run.sending < run.toSend.size()) {
    size_t index = run.toSend[run.sending];
    PutFile& p = run.req.puts[index];
    if (run.sendOffset == p.size) {
      ++run.sending;
      run.sendOffset = 0;
      continue;
    }
    size_t want = static_cast<size_t>(
        std::min<uint64_t>({sizeof buf, run.fileCredit, p.size - run.sendOffset}));
    ssize_t n = ::pread(run.putFds[index].get(), buf, want, static_cast<off_t>(run.sendOffset));
    if (n <= 0) {
      std::string why =
          p.name + (n < 0 ? std::string(": ") + std::strerror(errno) : " shrank while being sent");
      hooks_.send(run.fp, {FrameType::ExecRelease, encode(ReasonMsg{run.job->id, why})});
      return finish(run, JobState::Failed, "", why);
    }
    FileDataMsg m{run.job->id, p.sha256, run.sendOffset, Bytes(buf, buf + n)};
    hooks_.send(run.fp, {FrameType::FileData, encode(m)});
    run.sendOffset += static_cast<uint64_t>(n);
    run.fileCredit -= static_cast<uint64_t>(n);
  }
}

void ExecClient::deliver(Run& run, OutputStream stream, Bytes data) {
  if (stream == OutputStream::Files) {
    if (std::string why = checkFiles(run, data); !why.empty()) {
      hooks_.send(run.fp, {FrameType::ExecRelease, encode(ReasonMsg{run.job->id, why})});
      return finish(run, JobState::Failed, "", run.node + ": " + why);
    }
  }
  int i = static_cast<int>(stream) - 1;
  Sink& sink = run.sinks[i];
  if (!sink.fd || sink.broken) {
    // Nobody reads this stream (no --get, or the submitter closed it): credit it at once.
    run.creditOwed += data.size();
    return creditBack(run, false);
  }
  sink.queue.push_back(std::move(data));
  flushSink(run, i);
}

// The runner is a member, not a trusted party: it chooses the records of the --get stream. Only
// names the submitter's patterns asked for pass (vesta checks again where it writes them).
// Empty when this piece is fine, else why the job stops.
std::string ExecClient::checkFiles(Run& run, std::span<const uint8_t> data) {
  if (run.gets.empty()) return "sent --get files although no --get asked for any";
  std::string why;
  auto ok = run.filesCheck.feed(data, [&](const FilesStreamParser::Event& e) {
    if (!why.empty() || e.kind != FilesStreamParser::Event::Kind::Begin) return;
    if (auto accepted = acceptFetchedFile(e.header.name, run.gets); !accepted)
      why = accepted.error();
  });
  if (!ok && why.empty()) why = ok.error();
  return why;
}

void ExecClient::flushSink(Run& run, int i) {
  Sink& sink = run.sinks[i];
  while (!sink.queue.empty()) {
    Bytes& front = sink.queue.front();
    ssize_t n = ::write(sink.fd.get(), front.data() + sink.offset, front.size() - sink.offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      // EPIPE: the submitter is gone. Its job goes with it.
      sink.broken = true;
      sink.close();
      uint64_t id = run.job->id;
      if (run.state != S::Ended) jobs_.cancel(id, "the vesta exec that submitted it went away");
      return;
    }
    sink.offset += static_cast<size_t>(n);
    run.creditOwed += static_cast<uint64_t>(n);
    if (sink.offset == front.size()) {
      sink.queue.pop_front();
      sink.offset = 0;
    }
  }
  uint64_t id = run.job->id;
  if (sink.queue.empty()) {
    sink.poll->stop();
  } else {
    sink.poll->start(UV_WRITABLE, [this, id, i](int, int) {
      if (Run* found = runs_.find(id)) flushSink(*found, i);
    });
  }
  creditBack(run, false);
  maybeFree(run);
}

void ExecClient::creditBack(Run& run, bool force) {
  if (run.creditOwed == 0 || run.state != S::Running) return;
  if (!force && run.creditOwed < kCreditEvery) {
    bool idle = true;
    for (auto& s : run.sinks) idle &= s.queue.empty();
    if (!idle) return;
  }
  while (run.creditOwed > 0) {
    uint64_t n = std::min(run.creditOwed, kStreamWindow);
    hooks_.send(run.fp, {FrameType::OutputCredit, encode(CreditMsg{run.job->id, true, n})});
    run.creditOwed -= n;
  }
}

void ExecClient::onExit(Run& run, const ExecExitMsg& exit) {
  Job& job = *run.job;
  if (run.req.gpus && !run.fp.empty() && run.acceptedAt && gpuBorrowed_)
    gpuBorrowed_(run.fp, static_cast<double>(clockMs() - run.acceptedAt) / 1000.0 *
                             static_cast<double>(run.req.gpus));
  if (exit.status < 0) return finish(run, JobState::Failed, "", exit.error);
  job.exitStatus = exit.status;
  // A timeout is told as timeout(1) tells it (exit 124), whatever signal ended the command.
  std::string result = execResultText({exit.status, exit.timed_out ? 0 : int{exit.signal}});
  // An error beside a status: stopped there for its owner (max_pause_s, the memory reserve).
  if (exit.timed_out || !exit.error.empty())
    return finish(run, JobState::Failed, result,
                  exit.timed_out ? run.node + ": " + (exit.error.empty() ? "timed out" : exit.error)
                                 : exit.error);
  finish(run, JobState::Done, result, "");
}

void ExecClient::finish(Run& run, JobState state, const std::string& result,
                        const std::string& error) {
  if (!moveState(run.state, S::Ended)) return;
  if (run.input) run.input->close();  // vesta's copy of its stdin stops (EPIPE)
  Job& job = *run.job;
  if (!isTerminal(job.state)) jobs_.finish(job, state, result, error);
  // A job that was never placed has no node to name.
  log::info("job " + job.idText() + " " + jobStateName(job.state) +
                (run.node.empty() ? "" : " on " + run.node) +
                (error.empty() ? ": " + result : ": " + error),
            {{"VESTA_JOB", job.idText()}});
  if (hooks_.jobEnded) hooks_.jobEnded();
  maybeFree(run);
  dispatch();  // a slot is free
}

// An ended run stays until the submitter has all of its output; then its pipes close (the
// submitter sees end-of-file) and it is freed at the next tick.
void ExecClient::maybeFree(Run& run) {
  if (run.state != S::Ended) return;
  for (auto& s : run.sinks)
    if (!s.queue.empty()) return;
  for (auto& s : run.sinks) s.close();
  runs_.retire(run.job->id);
}

void ExecClient::onLinkDown(const std::string& fp) {
  auto lost = runs_.keysWhere([&](uint64_t, const Run& run) {
    return run.fp == fp && !fp.empty() && (run.state == S::Offered || run.state == S::Running);
  });
  for (uint64_t id : lost) {
    Run* found = runs_.find(id);
    if (!found) continue;
    Run& run = *found;
    if (run.state == S::Offered)
      requeue(run, "lost its link before answering");
    else
      finish(run, JobState::Failed, "",
             "lost " + run.node +
                 " mid-job (its link went down); a command is not re-run "
                 "elsewhere by itself");
  }
}

void ExecClient::cancel(Job& job, const std::string& why) {
  Run* found = runs_.find(job.id);
  if (!found) return;
  Run& run = *found;
  if (run.state == S::Offered || run.state == S::Running)
    hooks_.send(run.fp, {FrameType::ExecRelease, encode(ReasonMsg{job.id, why})});
  moveState(run.state, S::Ended);
  for (auto& s : run.sinks) s.close();
  if (run.input) run.input->close();
  maybeFree(run);
}

void ExecClient::tick() {
  runs_.reap();
  uint64_t now = clockMs();
  auto late = runs_.keysWhere([&](uint64_t, const Run& run) {
    return run.state == S::Offered && now - run.offeredAt > kOfferTimeoutMs;
  });
  for (uint64_t id : late) {
    Run* run = runs_.find(id);
    if (!run) continue;
    hooks_.send(run->fp, {FrameType::ExecRelease, encode(ReasonMsg{id, "no answer in time"})});
    requeue(*run, "did not answer in time");
  }
  if (!queue_.empty()) dispatch();  // nodes free up and change their minds
}

void ExecClient::shutdown(const std::string& /*why*/) {
  for (uint64_t id : runs_.keys()) {
    Run* run = runs_.find(id);
    if (!run) continue;
    if (run->state != S::Ended) {
      if (run->state != S::Queued)
        hooks_.send(run->fp,
                    {FrameType::ExecRelease, encode(ReasonMsg{id, "its node is stopping"})});
      finish(*run, JobState::Cancelled, "", config_.name + " is stopping");
    }
    // A run still draining into a pipe is closed and freed all the same.
    if (Run* left = runs_.find(id)) {
      for (auto& s : left->sinks) s.close();
      runs_.retire(id);
    }
  }
  queue_.clear();
}

std::vector<Flow> ExecClient::flows() const {
  uint64_t now = clockMs();
  return runs_.collect<Flow>([&](uint64_t id, const Run& run) -> std::optional<Flow> {
    if (run.fp.empty() || run.state != S::Running) return std::nullopt;
    return Flow{.lending = false,
                .job = id,
                .kind = JobKind::Exec,
                .peer = run.node,
                .peerFingerprint = run.fp,
                .cores = 1,
                .elapsedMs = now - run.offeredAt,
                .paused = run.job->state == JobState::Paused ? run.job->pauseReason : ""};
  });
}

}  // namespace vesta
