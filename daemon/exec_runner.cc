#include "exec_runner.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "admission.h"
#include "capacity.h"
#include "log.h"
#include "plural.h"
#include "process_groups.h"
#include "proto.h"
#include "spawn.h"
#include "stdin_relay.h"
#include "unique_fd.h"
#include "uvpp.h"

namespace vesta {
namespace {

namespace fs = std::filesystem;

constexpr int kExecNice = 10;
constexpr uint64_t kSweepMs = 5000;  // how long after a reaper's death vestad looks for strays
constexpr uint64_t kBorrowedProcesses = 512;  // processes a peer's command may add
constexpr uint64_t kBadFrameLogMs = 10'000;
constexpr size_t kReadPiece = 64 * 1024;

std::string searchPath() {
  const char* p = std::getenv("PATH");
  return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

// RLIMIT_NPROC counts every process and thread of the user, not of the job: a vestad running as
// a desktop user shares it with the browser. So the cap is "this many more than exist now"
// (all of the machine's threads, from /proc/loadavg, bound the user's), which still stops a
// fork bomb.
uint64_t processCap(uint64_t more) {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  unsigned long running = 0, total = 0;
  double l1, l5, l15;
  bool ok = f && std::fscanf(f, "%lf %lf %lf %lu/%lu", &l1, &l5, &l15, &running, &total) == 5;
  if (f) std::fclose(f);
  return ok ? total + more : 0;  // 0: leave the limit as it is
}

std::string realPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

// Makes everything under `dir` removable (a job may leave read-only directories), then removes it.
void removeTree(const std::string& dir) {
  // Most jobs leave nothing behind: an empty directory is one rmdir, not a walk of it.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  ::chmod(dir.c_str(), 0700);
  fs::remove_all(dir, ec);
  if (ec) log::warning("cannot remove " + dir + ": " + ec.message());
}

}  // namespace

struct ExecRunner::Job {
  Key key;
  std::string origin;
  ExecOfferMsg offer;
  std::string scratch;  // a worker's while Copying: it removes it if the job ends meanwhile
  bool local = false;
  ExecRunState state = ExecRunState::Receiving;
  ExecStop stop = ExecStop::None;
  std::vector<Digest> missing;
  std::map<Digest, std::unique_ptr<FileCache::Receiver>> receiving;
  std::vector<std::unique_ptr<FileCache::Receiver>> received;  // whole, filed by copyFiles
  uint64_t fileCreditOwed = 0;
  pid_t pid = -1;  // the reaper, once spawned
  UniqueFd pidfd;
  std::unique_ptr<uv::Poll> exitPoll;
  std::unique_ptr<StdinSink> input;  // offer.stdin_piped: the command's stdin as it arrives
  UniqueFd fds[2];                   // stdout, stderr read ends
  std::unique_ptr<uv::Poll> polls[2];
  bool polling[2] = {false, false};
  uint64_t credit = kStreamWindow;  // output bytes we may still send unconsumed
  int waitStatus = 0;
  rusage usage{};
  uint64_t startedMs = 0;
  std::unique_ptr<uv::Timer> timeout;
  std::unique_ptr<TermThenKill> stopping;  // SIGTERM sent, SIGKILL pending
  // The owner first: a borrowed command paused (SIGSTOP) beyond the budget, or stopped for it.
  uint64_t serial = 0;
  bool paused = false;
  uint64_t pausedSinceMs = 0;
  std::string pauseWhy;  // while paused
  std::string stopWhy;   // ExecStop::ForOwner
  double cpuSeen = 0;    // its process group's CPU seconds, last read
  uint64_t rssBytes = 0;
  // --get
  bool filesListed = false;
  std::vector<std::string> gets;
  UniqueFd getFd;
  uint64_t getRemaining = 0;
  std::string getName;
  std::vector<unsigned> gpus;  // the GPUs it holds (--gpu), from acceptance to its end

  bool alive() const { return state == ExecRunState::Running && pid > 0; }  // spawned, not reaped

  ~Job() {
    // The polls go before their descriptors close: a uv poll must not outlive its fd.
    for (auto& poll : polls)
      if (poll) poll->close();
    if (exitPoll) exitPoll->close();
  }
};

ExecRunner::ExecRunner(uv_loop_t* loop, const Config& config, const std::string& stateDir,
                       Hooks hooks)
    : loop_(loop),
      config_(config),
      scratchRoot_(stateDir + "/scratch"),
      cache_(
          std::make_shared<FileCache>(stateDir + "/cache", uint64_t{config.exec_cache_mb} << 20)),
      hooks_(std::move(hooks)) {
  // Scratch directories of a run that crashed belong to commands that no longer exist.
  std::error_code ec;
  if (fs::exists(scratchRoot_, ec))
    for (auto& e : fs::directory_iterator(scratchRoot_, ec)) removeTree(e.path().string());
  fs::create_directories(scratchRoot_, ec);
  ::chmod(scratchRoot_.c_str(), 0700);
}

ExecRunner::~ExecRunner() {
  *alive_ = false;
  for (auto& [key, job] : jobs_.live())
    if (job->alive()) killJob(job->pid);
}

ExecPolicy ExecRunner::policy() const {
  return {config_.allow_exec, config_.allow_shipped_exec, config_.exec_allowlist, 0};
}

unsigned ExecRunner::borrowedRunning() const {
  unsigned n = 0;
  for (auto& [key, job] : jobs_.live()) n += !job->local && job->alive();
  return n;
}

uint64_t ExecRunner::clockMs() const {
  return hooks_.now ? hooks_.now() : uv_now(loop_);
}

void ExecRunner::badFrame(const std::string& fp, const std::string& error) {
  uint64_t now = clockMs();
  if (lastBadFrameLog_ && now - lastBadFrameLog_ < kBadFrameLogMs) return;
  lastBadFrameLog_ = now;
  log::warning("malformed exec frame from " + fp + ": " + error, {{"VESTA_PEER", fp}});
}

void ExecRunner::onFrame(const std::string& fp, const Frame& frame) {
  switch (frame.type) {
    case FrameType::ExecOffer:
      return offer(fp, frame);
    case FrameType::FileData:
      return fileData(fp, frame);
    case FrameType::OutputCredit: {
      auto m = decodeCredit(frame.payload);
      if (!m || !m->for_output) return badFrame(fp, m ? "file credit sent to a runner" : m.error());
      Job* job = jobs_.find({fp, m->job});
      if (!job) return;
      job->credit = std::min(kStreamWindow, job->credit + m->bytes);
      pumpOutput(*job);
      maybeFinish(*job);
      return;
    }
    case FrameType::ExecStdin: {
      auto m = decodeStdin(frame.payload);
      if (!m) return badFrame(fp, m.error());
      Job* job = jobs_.find({fp, m->job});
      if (!job) return;  // ended meanwhile: what was in flight is dropped
      // Nothing beyond what was asked: stdin for a command offered without it, or beyond the
      // credit granted, ends the command.
      auto ok = job->input ? job->input->take(std::move(*m))
                           : Result<void>(fail("sent stdin for a command offered without it"));
      if (!ok) {
        badFrame(fp, ok.error());
        return end(*job, ExecExitMsg{job->key.second, -1, 0, false,
                                     config_.name + ": its coordinator " + ok.error()});
      }
      return;
    }
    case FrameType::ExecRelease: {
      auto m = decodeReason(frame.payload);
      if (!m) return badFrame(fp, m.error());
      if (Job* job = jobs_.find({fp, m->job})) kill(*job, m->reason);
      return;
    }
    default:
      return badFrame(fp, "unexpected frame type " + std::to_string(static_cast<int>(frame.type)));
  }
}

// Why this node turns the offer down now (code and text), or nullopt to accept. The text names
// this node first, as every refusal a coordinator passes on does.
std::optional<RefuseMsg> ExecRunner::whyRefuse(const std::string& fp, const ExecOfferMsg& m) const {
  const std::string& me = config_.name;
  auto refuse = [&](RefuseCode code, const std::string& why) {
    return std::optional<RefuseMsg>(RefuseMsg{m.job, code, why});
  };
  if (stopping_) return refuse(RefuseCode::Other, me + " is stopping");
  ExecPolicy p = policy();
  if (!p.allow_exec)
    return refuse(RefuseCode::NotPermitted, me + ": exec is off there (allow_exec)");
  // What would arrive is known before a byte is sent: refuse it now rather than mid-transfer.
  // A cached file counts at its real size whatever the offer says (it is copied whole into the
  // job's directory), and the sums saturate: announced sizes are the peer's word.
  uint64_t total = 0, fresh = 0;
  std::set<Digest> seen;
  auto add = [](uint64_t& sum, uint64_t n) { sum = n > UINT64_MAX - sum ? UINT64_MAX : sum + n; };
  for (auto& f : m.files) {
    std::optional<uint64_t> cached = cache_->sizeOf(f.sha256);
    if (cached && *cached != f.size)
      return refuse(RefuseCode::Other, me + ": --put file " + f.name + " is announced as " +
                                           std::to_string(f.size) + " bytes, but its content is " +
                                           std::to_string(*cached) + " bytes");
    add(total, f.size);
    if (seen.insert(f.sha256).second && !cached) add(fresh, f.size);
  }
  if (m.gpus)
    if (std::string why = gpuRefusal(fp, m.gpus); !why.empty())
      return refuse(RefuseCode::Busy, why);
  if (!m.files.empty())
    if (std::string why = shippedRefusal(
            me, total, fresh, {config_.exec_cache_mb, config_.min_free_disk_pct}, diskSpace());
        !why.empty())
      return refuse(RefuseCode::NoDisk, why);
  if (!fp.empty()) {
    const NodeStatus& s = hooks_.status();
    AdmissionInput in;
    in.node = me;
    in.kind = JobKind::Exec;
    in.willingness = s.power.willingness;
    in.powerReason = s.power.reason;
    if (std::string why; !hooks_.mayBorrow(fp, &why)) in.capped = why.empty() ? "capped" : why;
    in.spareCores = s.budget.cores;  // the lending budget, recomputed every sample
    in.cpuBusy = s.cpu;
    in.running = borrowedRunning();
    in.memMb = m.mem_mb;
    in.memOfferMb = config_.mem_offer_mb;
    if (auto refusal = admit(in)) return refuse(refusal->code, refusal->text);
  }
  const std::string& argv0 = m.argv[0];
  if (namesShippedProgram(argv0)) {
    // A program in the job's directory: it can only have been shipped with the job.
    std::string name = normalPath(argv0);
    bool shipped = std::any_of(m.files.begin(), m.files.end(),
                               [&](const ShippedFile& f) { return f.name == name; });
    if (!shipped)
      return refuse(RefuseCode::NoProgram,
                    me + ": " + argv0 + " is not among the shipped files (--put it)");
    // allow_exec was checked above: what is left to forbid it is allow_shipped_exec.
    if (std::string why = execWouldRefuse(p, me, argv0, true); !why.empty())
      return refuse(RefuseCode::NotPermitted, why);
    return std::nullopt;
  }
  auto program = resolveProgram(argv0, scratchRoot_ + "/none", searchPath());
  if (!program) return refuse(RefuseCode::NoProgram, me + ": " + program.error());
  std::string real = realPath(program->path),
              state = realPath(fs::path(scratchRoot_).parent_path());
  if (!state.empty() && real.rfind(state + "/", 0) == 0)
    return refuse(RefuseCode::NotPermitted,
                  me + ": " + argv0 + " lies in vestad's state directory");
  switch (execRule(p, *program)) {
    case ExecRule::Allowed:
      return std::nullopt;
    case ExecRule::NotAllowlisted:
      return refuse(RefuseCode::NotAllowlisted, execRefusal(p, me, argv0, *program));
    default:
      return refuse(RefuseCode::NotPermitted, execRefusal(p, me, argv0, *program));
  }
}

void ExecRunner::offer(const std::string& fp, const Frame& frame) {
  auto m = decodeExecOffer(frame.payload);
  if (!m) return badFrame(fp, m.error());
  Key key{fp, m->job};
  if (jobs_.has(key)) return;  // a repeated offer: the first answer stands
  std::string origin = fp.empty() ? config_.name : hooks_.nameOf(fp);
  if (auto refusal = whyRefuse(fp, *m)) {
    log::info(
        "refused exec job " + std::to_string(m->job) + " from " + origin + ": " + refusal->reason,
        {{"VESTA_PEER", fp}});
    hooks_.send(fp, {FrameType::ExecRefuse, encode(*refusal)});
    return;
  }
  auto job = std::make_unique<Job>();
  job->key = key;
  job->origin = origin;
  job->local = fp.empty();
  job->serial = nextSerial_++;
  job->offer = std::move(*m);
  if (job->offer.stdin_piped)
    job->input = std::make_unique<StdinSink>(loop_, key.second, [this, fp](StdinCreditMsg c) {
      hooks_.send(fp, {FrameType::StdinCredit, encode(c)});
    });
  job->scratch = scratchRoot_ + "/" + origin + "-" + std::to_string(key.second) + "-" +
                 std::to_string(nextScratch_++);
  std::error_code ec;
  fs::create_directory(job->scratch, ec);
  if (ec) {
    std::string why = config_.name + ": cannot make a scratch directory: " + ec.message();
    hooks_.send(fp, {FrameType::ExecRefuse, encode(RefuseMsg{key.second, RefuseCode::Other, why})});
    return;
  }
  ::chmod(job->scratch.c_str(), 0700);
  std::set<Digest> asked;
  for (auto& f : job->offer.files)
    if (!cache_->has(f.sha256) && asked.insert(f.sha256).second) job->missing.push_back(f.sha256);
  Job& j = jobs_.add(key, std::move(job));
  // whyRefuse found them free a moment ago, on this same loop turn.
  if (j.offer.gpus) j.gpus = takeGpus(key, j.offer.gpus);
  if (!j.offer.files.empty())
    log::info("job " + std::to_string(key.second) + " from " + origin + ": " +
                  std::to_string(j.offer.files.size()) + " shipped file" +
                  (j.offer.files.size() == 1 ? "" : "s") + ", " +
                  std::to_string(j.offer.files.size() - j.missing.size()) + " from the cache",
              {{"VESTA_PEER", fp}});
  hooks_.send(fp, {FrameType::ExecAccept, encode(ExecAcceptMsg{key.second, j.missing})});
  if (j.missing.empty()) start(j);
}

void ExecRunner::fileData(const std::string& fp, const Frame& frame) {
  auto m = decodeFileData(frame.payload);
  if (!m) return badFrame(fp, m.error());
  Job* found = jobs_.find({fp, m->job});
  if (!found) return;
  Job& job = *found;
  if (std::find(job.missing.begin(), job.missing.end(), m->sha256) == job.missing.end())
    return badFrame(fp, "file data nobody asked for");
  auto& receiver = job.receiving[m->sha256];
  auto failJob = [&](const std::string& error) {
    end(job, ExecExitMsg{job.key.second, -1, 0, false, config_.name + ": " + error});
  };
  if (!receiver) {
    uint64_t size = 0;
    for (auto& f : job.offer.files)
      if (f.sha256 == m->sha256) size = f.size;
    auto r = cache_->receive(m->sha256, size);
    if (!r) return failJob(r.error());
    receiver = std::move(*r);
  }
  // Announced sizes were checked at the offer; what arrives is held to the budget as it comes.
  if (std::string why =
          arrivingRefusal(config_.name, arriving() + m->data.size(), m->data.size(),
                          {config_.exec_cache_mb, config_.min_free_disk_pct}, diskSpace());
      !why.empty())
    return end(job, ExecExitMsg{job.key.second, -1, 0, false, why});
  if (auto ok = receiver->append(m->offset, m->data); !ok) return failJob(ok.error());
  job.fileCreditOwed += m->data.size();
  bool complete = receiver->received() == receiver->size();
  if (job.fileCreditOwed >= kStreamWindow / 4 || complete) {
    hooks_.send(
        fp, {FrameType::FileCredit, encode(CreditMsg{job.key.second, false, job.fileCreditOwed})});
    job.fileCreditOwed = 0;
  }
  if (!complete) return;
  // Filed (fsync, hash check, rename) off the loop, with the copies, in copyFiles.
  job.received.push_back(std::move(receiver));
  job.receiving.erase(m->sha256);
  job.missing.erase(std::find(job.missing.begin(), job.missing.end(), m->sha256));
  if (job.missing.empty()) start(job);
}

void ExecRunner::start(Job& job) {
  if (job.offer.files.empty()) return run(job);
  copyFiles(job);
}

// Files the received files into the cache and copies every shipped file into the job's
// directory on a libuv worker: gigabytes of fsync and copy_file_range would stall the loop
// (D-Bus, links, beacons) for as long as they take. The job runs when the worker is done.
void ExecRunner::copyFiles(Job& job) {
  struct Work {
    uv_work_t req{};
    ExecRunner* runner = nullptr;
    std::shared_ptr<bool> alive;
    std::shared_ptr<FileCache> cache;
    Key key;
    std::string scratch;
    std::vector<std::unique_ptr<FileCache::Receiver>> received;
    std::vector<ShippedFile> files;
    std::string error;  // set by the worker
  };
  auto* work = new Work;
  work->req.data = work;
  work->runner = this;
  work->alive = alive_;
  work->cache = cache_;
  work->key = job.key;
  work->scratch = job.scratch;
  work->received = std::move(job.received);
  job.received.clear();
  work->files = job.offer.files;
  moveState(job.state, ExecRunState::Copying);
  int r = uv_queue_work(
      loop_, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<Work*>(req->data);
        try {  // nothing may escape into libuv's worker thread
          for (auto& receiver : w->received)
            if (auto ok = receiver->finish(); !ok && w->error.empty()) w->error = ok.error();
          w->received.clear();
          for (auto& f : w->files) {
            if (!w->error.empty()) break;
            if (auto ok = w->cache->copyTo(f.sha256, w->scratch + "/" + f.name, f.executable); !ok)
              w->error = ok.error();
          }
          w->cache->trim();
        } catch (const std::exception& e) {
          w->error = std::string("copying the shipped files: ") + e.what();
        }
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        try {
          if (*w->alive)
            w->runner->copied(w->key, w->scratch, w->error);
          else
            removeTree(w->scratch);
        } catch (const std::exception& e) {
          log::error(std::string("exec: after copying shipped files: ") + e.what());
        }
      });
  if (r != 0) {
    delete work;
    removeTree(job.scratch);  // no worker has it
    end(job, ExecExitMsg{job.key.second, -1, 0, false,
                         config_.name + ": cannot copy the shipped files: " + uv_strerror(r)});
  }
}

// A worker of copyFiles is done with the job's files.
void ExecRunner::copied(const Key& key, const std::string& scratch, const std::string& error) {
  Job* found = jobs_.find(key);
  if (!found || found->scratch != scratch) {
    // The job ended while its files were copied; end() left its directory to us.
    removeTree(scratch);
    return;
  }
  Job& job = *found;
  if (!error.empty()) {
    removeTree(scratch);  // the worker is done with it, and end() leaves a Copying job's alone
    return end(job, ExecExitMsg{job.key.second, -1, 0, false, config_.name + ": " + error});
  }
  run(job);
}

DiskSpace ExecRunner::diskSpace() const {
  struct statvfs st {};
  if (::statvfs(scratchRoot_.c_str(), &st) != 0) return {};
  return {static_cast<uint64_t>(st.f_blocks) * st.f_frsize,
          static_cast<uint64_t>(st.f_bavail) * st.f_frsize};
}

uint64_t ExecRunner::arriving() const {
  uint64_t n = 0;
  for (auto& [key, job] : jobs_.live()) {
    for (auto& [digest, receiver] : job->receiving) n += receiver->received();
    for (auto& receiver : job->received) n += receiver->size();
  }
  return n;
}

void ExecRunner::run(Job& job) {
  moveState(job.state, ExecRunState::Running);  // the directory is the loop's again; spawned below
  auto failJob = [&](const std::string& error) {
    end(job, ExecExitMsg{job.key.second, -1, 0, false, config_.name + ": " + error});
  };
  const std::string& argv0 = job.offer.argv[0];
  auto program = resolveProgram(argv0, job.scratch, searchPath());
  if (!program) return failJob(program.error());
  if (std::string why = execRefusal(policy(), config_.name, argv0, *program); !why.empty())
    return failJob(why);

  UniqueFd readEnds[2], writeEnds[2];
  for (int i = 0; i < 2; ++i) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return failJob(std::strerror(errno));
    readEnds[i].reset(p[0]);
    writeEnds[i].reset(p[1]);
    // The child's ends block: a command that writes faster than we forward simply waits.
    ::fcntl(p[1], F_SETFL, 0);
  }
  SpawnSpec spec;
  spec.program = program->path;
  spec.argv = job.offer.argv;
  spec.framed = job.offer.framed;
  spec.batch = job.offer.batch;
  const char* lang = std::getenv("LANG");
  spec.env = {
      "PATH=" + searchPath(),       "HOME=" + job.scratch,
      "TMPDIR=" + job.scratch,      std::string("LANG=") + (lang && *lang ? lang : "C.UTF-8"),
      "VESTA_NODE=" + config_.name, "VESTA_JOB=" + std::to_string(job.key.second),
      "VESTA_ORIGIN=" + job.origin};
  spec.cwd = job.scratch;
  handGpus(job.gpus, spec);
  spec.nice = kExecNice;
  spec.idle = !job.local;  // a peer's command: SCHED_IDLE and the idle I/O class
  uint64_t memMb = job.offer.mem_mb;
  if (!job.local && memMb == 0) memMb = config_.mem_offer_mb;
  spec.memBytes = memMb << 20;
  spec.cpuSeconds = job.offer.cpu_s;
  spec.maxProcesses = job.local ? 0 : processCap(kBorrowedProcesses);
  spec.stdoutFd = writeEnds[0].get();
  spec.stderrFd = writeEnds[1].get();
  // With stdin piped, the command reads a pipe that job.input fills as ExecStdin arrives.
  UniqueFd stdinRead, stdinWrite;
  if (job.input) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return failJob(std::strerror(errno));
    stdinRead.reset(p[0]);
    stdinWrite.reset(p[1]);
    spec.stdinFd = stdinRead.get();
  }
  auto spawned = spawnConfined(spec);
  for (auto& w : writeEnds) w.reset();  // the child has its copies
  stdinRead.reset();
  if (!spawned) return failJob(spawned.error());
  if (job.input) job.input->attach(std::move(stdinWrite));
  job.startedMs = clockMs();
  job.pid = spawned->pid;
  job.pidfd.reset(spawned->pidfd);
  for (int i = 0; i < 2; ++i) job.fds[i] = std::move(readEnds[i]);
  std::string running = "running job " + std::to_string(job.key.second) + " from " + job.origin +
                        ": " + program->path;
  if (!spec.batch.empty()) running += " (a batch of " + std::to_string(spec.batch.size() + 1) + ")";
  if (confined())
    log::info(running, {{"VESTA_PEER", job.key.first}});
  else
    log::warning(running + " " + confinementSummary(), {{"VESTA_PEER", job.key.first}});
  Key key = job.key;
  job.exitPoll = std::make_unique<uv::Poll>(loop_, job.pidfd.get());
  job.exitPoll->start(UV_READABLE, [this, key](int, int) {
    if (Job* found = jobs_.find(key)) onExit(*found);
  });
  for (int i = 0; i < 2; ++i) job.polls[i] = std::make_unique<uv::Poll>(loop_, job.fds[i].get());
  if (job.offer.timeout_ms) {
    job.timeout = std::make_unique<uv::Timer>(loop_);
    job.timeout->start(job.offer.timeout_ms, 0, [this, key] {
      Job* late = jobs_.find(key);
      if (!late || !late->alive()) return;
      if (!moveState(late->stop, ExecStop::TimedOut)) return;  // released already: being stopped
      late->stopping = std::make_unique<TermThenKill>(loop_, late->pid);
      if (late->paused) ::kill(-late->pid, SIGCONT);  // a stopped process cannot act on SIGTERM
    });
  }
  pumpOutput(job);
}

// Reads from the command's pipes while credit lasts; with none left the pipes fill and the
// command blocks, so a chatty command costs at most one window of memory anywhere.
void ExecRunner::pumpOutput(Job& job) {
  if (job.state == ExecRunState::Ended) return;  // its polls are closed (end())
  for (int i = 0; i < 2; ++i) {
    if (!job.fds[i]) continue;
    bool want = job.credit > 0;
    if (want == job.polling[i]) continue;
    job.polling[i] = want;
    if (!want) {
      job.polls[i]->stop();
      continue;
    }
    Key key = job.key;
    job.polls[i]->start(UV_READABLE, [this, key, i](int, int) {
      if (Job* found = jobs_.find(key)) readOutput(*found, i);
    });
  }
}

void ExecRunner::readOutput(Job& job, int stream) {
  uint8_t buf[kReadPiece];
  size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf, job.credit));
  if (want == 0) return pumpOutput(job);
  ssize_t n = ::read(job.fds[stream].get(), buf, want);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    job.polls[stream]->close();
    job.polls[stream].reset();
    job.fds[stream].reset();
    job.polling[stream] = false;
    return maybeFinish(job);
  }
  if (job.stop != ExecStop::Released) {
    OutputMsg m{job.key.second, stream == 0 ? OutputStream::Stdout : OutputStream::Stderr,
                Bytes(buf, buf + n)};
    hooks_.send(job.key.first, {FrameType::Output, encode(m)});
    job.credit -= static_cast<uint64_t>(n);
  }
  pumpOutput(job);
}

void ExecRunner::onExit(Job& job) {
  pid_t r = ::wait4(job.pid, &job.waitStatus, WNOHANG, &job.usage);
  if (r != job.pid) return;
  moveState(job.state, ExecRunState::Exited);
  // The job ends with its command: its reaper (daemon/spawn) killed and reaped whatever the
  // command left running, in its process group or not, before it exited, so nothing of a
  // peer's outlives the job here (and the pipes reach their end). A reaper that died of a
  // signal may have been killed by its own job (same user): then what it watched over is
  // vestad's now (a subreaper too); the group goes at once, the rest in sweepStrays().
  if (WIFSIGNALED(job.waitStatus)) {
    ::kill(-job.pid, SIGKILL);
    sweepUntilMs_ = clockMs() + kSweepMs;
  }
  job.exitPoll->close();
  job.exitPoll.reset();
  job.pidfd.reset();
  if (job.timeout) job.timeout->stop();
  // Reaped: its pid may be another process's soon, so a pending kill must not fire.
  job.stopping.reset();
  maybeFinish(job);
}

void ExecRunner::maybeFinish(Job& job) {
  if (job.state != ExecRunState::Exited || job.fds[0] || job.fds[1]) return;
  if (job.stop == ExecStop::Released) {
    ExecExitMsg none{job.key.second, -1, 0, false, "released"};
    return end(job, none);
  }
  sendFiles(job);
}

// Streams the files that match the --get patterns (regular files at the top of the scratch
// directory), as credit allows, then reports the exit.
void ExecRunner::sendFiles(Job& job) {
  if (!job.filesListed) {
    job.filesListed = true;
    std::error_code ec;
    std::set<std::string> names;
    for (auto& e : fs::directory_iterator(job.scratch, ec)) {
      std::string name = e.path().filename().string();
      if (!e.is_regular_file(ec) || e.is_symlink(ec)) continue;
      for (auto& pattern : job.offer.gets)
        if (::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0) names.insert(name);
    }
    job.gets.assign(names.rbegin(), names.rend());  // popped from the back: sorted order
  }
  auto send = [&](Bytes bytes) {
    job.credit -= std::min<uint64_t>(job.credit, bytes.size());
    hooks_.send(job.key.first,
                {FrameType::Output,
                 encode(OutputMsg{job.key.second, OutputStream::Files, std::move(bytes)})});
  };
  while (job.credit > 0) {
    if (!job.getFd) {
      if (job.gets.empty()) break;
      job.getName = job.gets.back();
      job.gets.pop_back();
      job.getFd.reset(
          ::open((job.scratch + "/" + job.getName).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      if (!job.getFd || ::fstat(job.getFd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        job.getFd.reset();
        continue;
      }
      job.getRemaining = static_cast<uint64_t>(st.st_size);
      send(encodeFileRecordHeader({job.getName, job.getRemaining}));
      if (job.getRemaining == 0) job.getFd.reset();
      continue;
    }
    size_t want =
        static_cast<size_t>(std::min<uint64_t>({job.credit, job.getRemaining, kMaxDataPiece}));
    Bytes piece(want);
    ssize_t n = ::read(job.getFd.get(), piece.data(), want);
    if (n <= 0) {
      job.getFd.reset();
      return end(job, ExecExitMsg{job.key.second, -1, 0, false,
                                  config_.name + ": " + job.getName + " shrank while being sent"});
    }
    piece.resize(static_cast<size_t>(n));
    job.getRemaining -= static_cast<uint64_t>(n);
    send(std::move(piece));
    if (job.getRemaining == 0) job.getFd.reset();
  }
  if (job.getFd || !job.gets.empty()) return;  // more when credit returns
  bool timedOut = job.stop == ExecStop::TimedOut;
  ExecExitMsg exit{job.key.second, 0, 0, timedOut, ""};
  if (WIFEXITED(job.waitStatus)) {
    exit.status = WEXITSTATUS(job.waitStatus);
  } else if (WIFSIGNALED(job.waitStatus)) {
    exit.signal = static_cast<uint8_t>(WTERMSIG(job.waitStatus));
    exit.status = 128 + exit.signal;
  }
  if (job.stop == ExecStop::ForOwner) exit.error = job.stopWhy;
  if (timedOut) {
    exit.status = 124;  // as timeout(1) reports it
    char text[64];
    std::snprintf(text, sizeof text, "timed out after %.1f s",
                  static_cast<double>(job.offer.timeout_ms) / 1000.0);
    exit.error = text;
  }
  end(job, exit);
}

void ExecRunner::end(Job& job, const ExecExitMsg& exit) {
  bool wasAlive = job.alive();
  ExecRunState was = job.state;
  if (!moveState(job.state, ExecRunState::Ended)) return;
  if (!job.gpus.empty())
    releaseGpus(job.key, job.origin, job.gpus.size(), job.local, job.startedMs);
  if (wasAlive) {
    killJob(job.pid);
    unreaped_.push_back(job.pid);  // its pidfd goes with the job: reaped by pid in tick()
  }
  // Gone before the coordinator hears of the end: a job leaves nothing behind once it is over.
  // A worker still copying into it removes it when it is done.
  if (was != ExecRunState::Copying) removeTree(job.scratch);
  if (job.stop != ExecStop::Released)
    hooks_.send(job.key.first, {FrameType::ExecExit, encode(exit)});
  if (!job.local) borrowedEndedCpu_ += job.cpuSeen;  // the exited ones' rusage is added below
  if (was == ExecRunState::Exited) {
    double core =
        static_cast<double>(job.usage.ru_utime.tv_sec + job.usage.ru_stime.tv_sec) +
        static_cast<double>(job.usage.ru_utime.tv_usec + job.usage.ru_stime.tv_usec) / 1e6;
    if (!job.local) borrowedEndedCpu_ += std::max(0.0, core - job.cpuSeen);
    uint64_t ms = clockMs() - job.startedMs;
    double mib =
        static_cast<double>(job.usage.ru_maxrss) / 1024.0 * static_cast<double>(ms) / 1000.0;
    if (!job.local) {
      hooks_.send(job.key.first, {FrameType::ExecUsage,
                                  encode(UsageMsg{job.key.second, static_cast<uint64_t>(core * 1e6),
                                                  static_cast<uint64_t>(mib * 1000)})});
      hooks_.lent(job.key.first, job.origin, core, mib, true);
    }
  }
  log::info("exec job " + std::to_string(job.key.second) + " from " + job.origin + " ended" +
                (exit.status >= 0 ? ": exit " + std::to_string(exit.status) : ": " + exit.error),
            {{"VESTA_PEER", job.key.first}});
  // Its watchers go now, not when the record is freed at the next tick: a killed reaper's
  // pidfd, or a pipe at its end, stays ready, and with the job gone from lookups no callback
  // takes it, so the loop would wake for it at once, again and again. While vestad stops there
  // is no next tick at all: it spun like that and never exited (its reapers are reaped by pid,
  // unreaped_, and the TermThenKill is moot: killJob above ends them all).
  for (auto& poll : job.polls)
    if (poll) poll->close();
  if (job.exitPoll) job.exitPoll->close();
  if (job.timeout) job.timeout->close();
  job.stopping.reset();
  jobs_.retire(job.key);
}

void ExecRunner::kill(Job& job, const std::string& why) {
  if (!moveState(job.stop, ExecStop::Released)) return;
  log::info(
      "stopping exec job " + std::to_string(job.key.second) + " from " + job.origin + ": " + why,
      {{"VESTA_PEER", job.key.first}});
  if (!job.alive()) return end(job, ExecExitMsg{job.key.second, -1, 0, false, why});
  job.stopping = std::make_unique<TermThenKill>(loop_, job.pid);
  if (job.paused) ::kill(-job.pid, SIGCONT);  // a stopped process cannot act on SIGTERM
  // Stop reading: nobody wants the output now; the pipes are drained and closed at exit.
  job.credit = kStreamWindow;
  pumpOutput(job);
}

void ExecRunner::onLinkDown(const std::string& fp) {
  for (auto& key : jobs_.keysOfPeer(fp))
    if (Job* job = jobs_.find(key)) kill(*job, "its node's link is down");
}

void ExecRunner::tick() {
  jobs_.reap();
  // Only these pids, never waitpid(-1): other children of vestad are not ours to reap.
  std::erase_if(unreaped_, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

std::vector<pid_t> ExecRunner::ownersReapers() const {
  std::vector<pid_t> out;
  for (auto& [key, job] : jobs_.live())
    if (job->local && job->alive()) out.push_back(job->pid);
  return out;
}

void ExecRunner::sweepStrays() {
  if (clockMs() >= sweepUntilMs_) return;
  std::vector<pid_t> reapers = unreaped_;
  for (auto& [key, job] : jobs_.live())
    if (job->alive()) reapers.push_back(job->pid);
  if (size_t n = killStrays(reapers); n > 0) {
    sweepUntilMs_ = clockMs() + kSweepMs;  // they may have forked meanwhile: look again
    log::warning("killed " + countOf(n, "process", "processes") +
                 " left by an exec job that killed its reaper");
  }
}

void ExecRunner::shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  for (auto& key : jobs_.keys())
    if (Job* job = jobs_.find(key))
      end(*job, ExecExitMsg{key.second, -1, 0, false, config_.name + " " + why});
}

std::vector<Flow> ExecRunner::flows() const {
  uint64_t now = clockMs();
  return jobs_.collect<Flow>([&](const Key& key, const Job& job) -> std::optional<Flow> {
    if (job.local) return std::nullopt;
    return Flow{.lending = true,
                .job = key.second,
                .kind = JobKind::Exec,
                .peer = job.origin,
                .peerFingerprint = key.first,
                .cores = 1,
                .elapsedMs = job.pid > 0 ? now - job.startedMs : 0,
                .paused = job.paused ? job.pauseWhy : ""};
  });
}

}  // namespace vesta

namespace vesta {

ExecRunner::Job* ExecRunner::bySerial(uint64_t serial) {
  for (auto& [key, job] : jobs_.live())
    if (job->serial == serial) return job.get();
  return nullptr;
}

std::vector<BorrowedCommand> ExecRunner::borrowedCommands() const {
  std::vector<BorrowedCommand> out;
  for (auto& [key, job] : jobs_.live())
    if (!job->local && job->alive() && job->stop == ExecStop::None)
      out.push_back({job->serial, job->startedMs, job->paused, job->pausedSinceMs});
  return out;
}

// The coordinator hears it as an Output frame on the state stream (docs/protocol.md): one byte,
// 1 paused or 0 running, then why. Not counted against the output credit.
void ExecRunner::sendState(Job& job, bool paused, const std::string& why) {
  Bytes data{static_cast<uint8_t>(paused)};
  data.insert(data.end(), why.begin(), why.end());
  hooks_.send(job.key.first,
              {FrameType::Output, encode(OutputMsg{job.key.second, OutputStream::State, data})});
}

void ExecRunner::pause(uint64_t serial, const std::string& why) {
  Job* job = bySerial(serial);
  if (!job || !job->alive() || job->paused) return;
  if (::kill(-job->pid, SIGSTOP) != 0) {
    log::error("cannot pause exec job " + std::to_string(job->key.second) +
                   ": kill SIGSTOP: " + std::strerror(errno),
               {{"VESTA_PEER", job->key.first}});
    return;
  }
  job->paused = true;
  job->pausedSinceMs = clockMs();
  job->pauseWhy = why;
  log::info(
      "paused exec job " + std::to_string(job->key.second) + " from " + job->origin + ": " + why,
      {{"VESTA_PEER", job->key.first}});
  sendState(*job, true, why);
}

void ExecRunner::resume(uint64_t serial) {
  Job* job = bySerial(serial);
  if (!job || !job->alive() || !job->paused) return;
  ::kill(-job->pid, SIGCONT);
  job->paused = false;
  log::info("resumed exec job " + std::to_string(job->key.second) + " from " + job->origin,
            {{"VESTA_PEER", job->key.first}});
  sendState(*job, false, "");
}

void ExecRunner::stopForOwner(uint64_t serial, const std::string& why) {
  Job* job = bySerial(serial);
  if (!job || !job->alive() || !moveState(job->stop, ExecStop::ForOwner)) return;
  job->stopWhy = config_.name + ": " + why;
  log::warning(
      "stopping exec job " + std::to_string(job->key.second) + " from " + job->origin + ": " + why,
      {{"VESTA_PEER", job->key.first}});
  job->stopping = std::make_unique<TermThenKill>(loop_, job->pid);
  if (job->paused) ::kill(-job->pid, SIGCONT);
}

void ExecRunner::measureBorrowed() {
  std::set<pid_t> groups;
  for (auto& [key, job] : jobs_.live())
    if (!job->local && job->alive()) groups.insert(job->pid);
  if (groups.empty()) return;
  auto usage = readProcessGroups(groups);
  for (auto& [key, job] : jobs_.live()) {
    auto u = job->alive() ? usage.find(job->pid) : usage.end();
    if (u == usage.end()) continue;
    job->cpuSeen = std::max(job->cpuSeen, u->second.cpuSeconds);  // never backwards
    job->rssBytes = u->second.rssBytes;
  }
}

double ExecRunner::borrowedCpuSeconds() const {
  double total = borrowedEndedCpu_;
  for (auto& [key, job] : jobs_.live())
    if (!job->local && job->state != ExecRunState::Ended) total += job->cpuSeen;
  return total;
}

std::vector<MemoryHolder> ExecRunner::borrowedMemory() const {
  std::vector<MemoryHolder> out;
  for (auto& [key, job] : jobs_.live())
    if (!job->local && job->alive() && job->stop == ExecStop::None)
      out.push_back({job->serial, job->startedMs, job->rssBytes >> 20});
  return out;
}

}  // namespace vesta
