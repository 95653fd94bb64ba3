#include "spawn.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "batch_stream.h"
#include "idle_priority.h"
#include "read_layer.h"
#include "spawner.h"
#include "unique_fd.h"

namespace vesta {
namespace {

// Landlock's scopes (ABI 6), from linux/landlock.h of Linux 6.12.
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kScopeSignal = 1ULL << 1;

// Write rights Landlock can withhold, by ABI version (1: the basics, 2: REFER, 3: TRUNCATE).
uint64_t writeRights(int abi) {
  uint64_t rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  return rights;
}

bool addRule(int ruleset, const char* path, uint64_t rights) {
  UniqueFd fd(::open(path, O_PATH | O_CLOEXEC));
  if (!fd) return false;
  landlock_path_beneath_attr attr{};
  attr.allowed_access = rights;
  attr.parent_fd = fd.get();
  return ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) == 0;
}

// A ruleset that forbids writing anywhere but `dir` (and /dev/null and `devices`); none
// without Landlock.
UniqueFd makeRuleset(const std::string& dir, const std::vector<std::string>& devices) {
  int abi = landlockAbi();
  if (abi <= 0) return {};
  // The attribute as ABI 6 knows it (Linux 6.12), which this system's header may predate: with
  // `scoped`, the job may signal only processes of its own (not vestad, the spawner or the
  // owner's programs, which run as the same user) and connect only to abstract Unix sockets of
  // its own (sockets with a path are not Landlock's to close). An older kernel reads the first
  // field alone.
  struct {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;  // 0: the network is not Landlock's to restrict here
    uint64_t scoped;
  } attr{writeRights(abi), 0, kScopeAbstractUnixSocket | kScopeSignal};
  size_t size = abi >= 6 ? sizeof attr : sizeof attr.handled_access_fs;
  UniqueFd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0)));
  if (!ruleset) return {};
  uint64_t fileRights = LANDLOCK_ACCESS_FS_WRITE_FILE;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) fileRights |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  if (!addRule(ruleset.get(), dir.c_str(), writeRights(abi)) ||
      !addRule(ruleset.get(), "/dev/null", fileRights))
    return {};
  for (const auto& d : devices)
    if (!addRule(ruleset.get(), d.c_str(), fileRights)) return {};
  ::fcntl(ruleset.get(), F_SETFD, FD_CLOEXEC);
  return ruleset;
}

// Closes every descriptor from 3 up but `a` and `b`. Only syscalls: the reaper calls it.
void closeAllBut(int a, int b) {
  if (a > b) std::swap(a, b);
  auto closeRange = [](int from, int to) {  // [from, to]
    if (from > to) return;
    if (::syscall(SYS_close_range, from, static_cast<unsigned>(to), 0) != 0)
      for (int fd = from; fd <= to && fd < 1024; ++fd) ::close(fd);
  };
  closeRange(3, a - 1);
  closeRange(a + 1, b - 1);
  closeRange(b + 1, ~0U >> 1);
}

// In the child, between fork and execve: only async-signal-safe calls. Reports errno through
// `errorFd` and exits 127 when a step fails.
[[noreturn]] void childFail(int errorFd, int step) {
  int report[2] = {step, errno};
  ssize_t ignored = ::write(errorFd, report, sizeof report);
  (void)ignored;
  ::_exit(127);
}

// The job's reaper: the first process of the job, in between vestad and the command. It is a
// child subreaper (PR_SET_CHILD_SUBREAPER), so whatever the command starts stays below it even
// through setsid and a double fork; when the command ends, or vestad says so, it kills every
// descendant, reaps them, and exits as the command did. Only syscalls: it is a fork of the
// spawner (a copy of vestad from its start, daemon/spawner.h) and never execs.

// Every process on the machine (pid, parent), read from /proc/N/stat; false when /proc cannot
// be read.
struct ProcEntry {
  pid_t pid, ppid;
};
constexpr size_t kMaxProcs = 1 << 16;
ProcEntry gProcs[kMaxProcs];
bool gBelow[kMaxProcs];

size_t readProcs() {
  UniqueFd dir(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return 0;
  size_t n = 0;
  alignas(8) char buf[16384];
  for (;;) {
    long got = ::syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
    if (got <= 0) break;
    for (long at = 0; at < got;) {
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
      unsigned short reclen;
      std::memcpy(&reclen, buf + at + 16, sizeof reclen);
      const char* name = buf + at + 19;
      at += reclen;
      pid_t pid = 0;
      const char* c = name;
      for (; *c >= '0' && *c <= '9'; ++c) pid = pid * 10 + (*c - '0');
      if (*c || pid <= 0 || n == kMaxProcs) continue;
      char path[32] = "/proc/";
      int len = 6;
      for (const char* d = name; *d && len < 30; ++d) path[len++] = *d;
      std::memcpy(path + len, "/stat", 6);
      char stat[512];
      ssize_t r = -1;
      if (UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC)); fd)  // none: it just ended
        r = ::read(fd.get(), stat, sizeof stat - 1);
      if (r <= 0) continue;
      stat[r] = 0;
      // "pid (comm) S ppid ...": comm may hold anything, so parse after its last ')'.
      const char* close = nullptr;
      for (const char* q = stat; *q; ++q)
        if (*q == ')') close = q;
      if (!close || !close[1] || !close[2] || !close[3]) continue;
      pid_t ppid = 0;
      for (const char* q = close + 4; *q >= '0' && *q <= '9'; ++q) ppid = ppid * 10 + (*q - '0');
      gProcs[n++] = {pid, ppid};
    }
  }
  return n;
}

// Sends `sig` to every descendant of this process (to those outside its process group only,
// when `outsideGroup`: the group had the signal already). Returns how many there were.
// Marks in gBelow the processes of gProcs[0, n) below `self`, leaving out the children in
// keep[0, nKeep) and what is below them. Only plain loops: the reaper calls it after fork.
void markBelow(size_t n, pid_t self, const pid_t* keep, size_t nKeep) {
  for (size_t i = 0; i < n; ++i) {
    gBelow[i] = gProcs[i].ppid == self;
    for (size_t k = 0; gBelow[i] && k < nKeep; ++k)
      if (gProcs[i].pid == keep[k]) gBelow[i] = false;
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t i = 0; i < n; ++i) {
      if (gBelow[i]) continue;
      for (size_t j = 0; j < n; ++j)
        if (gBelow[j] && gProcs[j].pid == gProcs[i].ppid) {
          gBelow[i] = grew = true;
          break;
        }
    }
  }
}

size_t signalDescendants(int sig, bool outsideGroup) {
  size_t n = readProcs();
  markBelow(n, ::getpid(), nullptr, 0);
  size_t count = 0;
  pid_t group = ::getpgrp();
  for (size_t i = 0; i < n; ++i) {
    if (!gBelow[i]) continue;
    ++count;
    if (!outsideGroup || ::getpgid(gProcs[i].pid) != group) ::kill(gProcs[i].pid, sig);
  }
  return count;
}

// Kills everything below this process and reaps it all; `status` gets the command's status if
// it is among the reaped.
void killAll(pid_t command, int& status, bool& commandDone) {
  for (;;) {
    int st = 0;
    // No child left means nothing is left below at all (an orphan is re-parented to this
    // subreaper), so the usual end of a job, its command alone, skips the scan of /proc: one
    // open and read per process on the machine, the largest cost of a short job.
    pid_t r = ::waitpid(-1, &st, WNOHANG);
    if (r < 0 && errno == ECHILD) return;
    if (r == 0) {
      signalDescendants(SIGKILL, false);
      r = ::waitpid(-1, &st, 0);
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return;  // ECHILD: nothing is left
    if (r == command) {
      status = st;
      commandDone = true;
    }
  }
}

// What the command's child needs between clone and execve, all prepared by the reaper.
struct CommandStart {
  const char* program;
  char* const* argv;
  char* const* envp;
  const sigset_t* mask;
  int errorFd;
  bool idle;
  // A batch's command: its stdout and stderr (the reaper reads them), and where it leaves its
  // errno when it cannot start, in the reaper's memory it shares until execve; errorFd is -1.
  int outFd = -1, errFd = -1;
  volatile int* startErrno = nullptr;
  volatile int* startStep = nullptr;
};

[[noreturn]] void commandFail(const CommandStart* start, int step) {
  if (start->startErrno) {
    *start->startStep = step;
    *start->startErrno = errno ? errno : EINVAL;
    ::_exit(127);
  }
  childFail(start->errorFd, step);
}

int commandMain(void* arg) {
  const auto* start = static_cast<const CommandStart*>(arg);
  if (start->outFd >= 0 && (::dup2(start->outFd, 1) < 0 || ::dup2(start->errFd, 2) < 0))
    commandFail(start, 2);
  // SCHED_IDLE and the idle I/O class for the command, inherited by all it starts; there is no
  // way back without privileges. Not for the reaper: its part (starting the command, reaping
  // it) is vestad's work and runs at the job's nice alone, so a loaded machine does not hold a
  // borrowed job's start and end until the CPU is idle.
  if (start->idle)
    if (int step = makeIdle(0); step != 0) commandFail(start, 9 + step);
  ::sigprocmask(SIG_SETMASK, start->mask, nullptr);
  ::execve(start->program, start->argv, start->envp);
  commandFail(start, 7);
}

// A stack for commandMain, in the reaper's own memory (its copy of vestad's): used by one
// child at a time, since CLONE_VFORK holds the reaper until that child has exec'd or exited.
alignas(64) char gCommandStack[64 * 1024];

pid_t startCommand(CommandStart& start) {
  // Stacks grow down on every architecture vesta is built for.
  return ::clone(commandMain, gCommandStack + sizeof gCommandStack,
                 CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
}

[[noreturn]] void reaper(pid_t command, const sigset_t& waitFor) {
  int status = 0;
  bool commandDone = false;
  for (;;) {
    for (;;) {
      int st = 0;
      pid_t r = ::waitpid(-1, &st, WNOHANG);
      if (r <= 0) break;
      if (r == command) {
        status = st;
        commandDone = true;
      }
    }
    if (commandDone) break;  // the job ends with its command
    siginfo_t info{};
    int sig = ::sigwaitinfo(&waitFor, &info);
    if (sig == SIGUSR1) break;  // vestad: kill it all now (also sent when vestad dies)
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
      signalDescendants(SIGTERM, true);  // those that left the job's process group too
  }
  killAll(command, status, commandDone);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    ::signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    ::kill(::getpid(), sig);
    ::_exit(128 + sig);
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

// A batch's reaper (lib/batch_stream.h): runs `commands` one after another, each as its child
// with fresh pipes for stdout and stderr, and writes what they print and how they ended as
// records to its stdout (vestad's pipe, made non-blocking here). Each command ends as a job
// would: what it left running is killed and reaped before its end is written, so no output of
// one is taken for the next's. SIGTERM (a cancel) is passed on and no further command starts;
// SIGUSR1 (vestad: kill it all) or a closed stream ends everything at once.
struct BatchReaper {
  int signals = -1;  // a signalfd of `waitFor`
  bool stopAfterThis = false;
  int64_t batchStartUs = 0;
};

int64_t monotonicUs() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1000000 + t.tv_nsec / 1000;
}

[[noreturn]] void abortBatch(pid_t command) {
  int status = 0;
  bool done = false;
  killAll(command, status, done);
  ::_exit(128 + SIGKILL);
}

// The signals that came; false when the batch must end now (SIGUSR1).
bool takeSignals(BatchReaper& b) {
  signalfd_siginfo info[8];
  ssize_t n = ::read(b.signals, info, sizeof info);
  for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof info[0]); ++i) {
    auto sig = static_cast<int>(info[i].ssi_signo);
    if (sig == SIGUSR1) return false;
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
      b.stopAfterThis = true;
      signalDescendants(SIGTERM, true);
    }
  }
  return true;
}

// Writes all of it to the stream, waiting on it and on signals; ends the batch when vestad
// says so or is no longer reading.
void writeStream(BatchReaper& b, pid_t command, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(1, p, n);
    if (w > 0) {
      p += w;
      n -= static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) abortBatch(command);  // EPIPE: the job is gone
    pollfd fds[2] = {{1, POLLOUT, 0}, {b.signals, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) abortBatch(command);
    if ((fds[1].revents & POLLIN) && !takeSignals(b)) abortBatch(command);
  }
}

void writeRecord(BatchReaper& b, pid_t command, BatchRecord kind, uint32_t index,
                 const uint8_t* body, uint32_t length) {
  uint8_t head[kBatchHeaderBytes];
  encodeBatchHeader(head, kind, index, length);
  writeStream(b, command, head, sizeof head);
  writeStream(b, command, body, length);
}

// Reads what one of the command's pipes has now into records; false at its end (or when
// nothing is left to read after the command's end, `untilEmpty`).
alignas(64) uint8_t gOutputPiece[64 * 1024];
bool forward(BatchReaper& b, pid_t command, UniqueFd& fd, BatchRecord kind, uint32_t index) {
  for (;;) {
    ssize_t n = ::read(fd.get(), gOutputPiece, sizeof gOutputPiece);
    if (n > 0) {
      writeRecord(b, command, kind, index, gOutputPiece, static_cast<uint32_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    fd.reset();
    return false;
  }
}

[[noreturn]] void batchReaper(const char* program, std::vector<std::vector<char*>>& commands,
                              char* const* envp, const sigset_t& none, const sigset_t& waitFor,
                              bool idle) {
  BatchReaper b;
  b.signals = ::signalfd(-1, &waitFor, SFD_CLOEXEC | SFD_NONBLOCK);
  if (b.signals < 0) ::_exit(127);
  ::fcntl(1, F_SETFL, ::fcntl(1, F_GETFL) | O_NONBLOCK);
  ::dup2(0, 2);  // the job's stderr pipe carries nothing: the records go to stdout
  b.batchStartUs = monotonicUs();
  for (size_t i = 0; i < commands.size(); ++i) {
    // A cancel that came while the last one ended starts no more (the group's SIGTERM found no
    // command to stop); nor does vestad's kill.
    if (!takeSignals(b)) abortBatch(-1);
    if (b.stopAfterThis) break;
    auto index = static_cast<uint32_t>(i);
    writeRecord(b, -1, BatchRecord::Started, index, nullptr, 0);
    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC | O_NONBLOCK) != 0) ::_exit(127);
    if (::pipe2(errPipe, O_CLOEXEC | O_NONBLOCK) != 0) ::_exit(127);
    UniqueFd out(outPipe[0]), err(errPipe[0]);
    // The command's ends block, as a job's pipes do: a command that prints faster than vestad
    // takes it waits.
    ::fcntl(outPipe[1], F_SETFL, 0);
    ::fcntl(errPipe[1], F_SETFL, 0);
    volatile int startErrno = 0, startStep = 0;
    CommandStart start{program, commands[i].data(), envp, &none, -1, idle};
    start.outFd = outPipe[1];
    start.errFd = errPipe[1];
    start.startErrno = &startErrno;
    start.startStep = &startStep;
    int64_t startedUs = monotonicUs();
    pid_t command = startCommand(start);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (command < 0 || startErrno != 0) {
      int e = command < 0 ? errno : startErrno;
      int step = command < 0 ? kStartStepExec : startStep;
      if (command > 0) ::waitpid(command, nullptr, 0);
      uint8_t body[kBatchNotStartedBytes];
      putLe(body, static_cast<uint32_t>(e), 4);
      putLe(body + 4, static_cast<uint32_t>(step), 4);
      writeRecord(b, -1, BatchRecord::NotStarted, index, body, sizeof body);
      continue;
    }
    int status = 0;
    bool ended = false;
    while (!ended) {
      pollfd fds[3] = {{b.signals, POLLIN, 0}, {out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
      if (::poll(fds, 3, -1) < 0 && errno != EINTR) abortBatch(command);
      if ((fds[0].revents & POLLIN) && !takeSignals(b)) abortBatch(command);
      if (out && fds[1].revents) forward(b, command, out, BatchRecord::Stdout, index);
      if (err && fds[2].revents) forward(b, command, err, BatchRecord::Stderr, index);
      if (::waitpid(command, &status, WNOHANG) == command) ended = true;
    }
    int64_t endedUs = monotonicUs();
    // What it left running goes now; what they all wrote is in the pipes, then.
    int ignored = 0;
    bool done = true;
    killAll(-1, ignored, done);
    if (out) forward(b, command, out, BatchRecord::Stdout, index);
    if (err) forward(b, command, err, BatchRecord::Stderr, index);
    uint8_t body[kBatchEndBytes];
    encodeBatchEnd(body, status, static_cast<uint64_t>(startedUs - b.batchStartUs),
                   static_cast<uint64_t>(endedUs - startedUs));
    writeRecord(b, -1, BatchRecord::End, index, body, sizeof body);
  }
  ::_exit(b.stopAfterThis ? 128 + SIGTERM : 0);
}
}  // namespace

namespace {

struct LandlockProbe {
  int abi = 0;
  int error = 0;  // errno of the probe when abi is 0
};

const LandlockProbe& probe() {
  static const LandlockProbe p = [] {
    long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? LandlockProbe{0, errno} : LandlockProbe{static_cast<int>(v), 0};
  }();
  return p;
}

}  // namespace

int landlockAbi() {
  return probe().abi;
}

const std::string& confinementSummary() {
  static const std::string summary = [] {
    const LandlockProbe& p = probe();
    if (p.abi > 0)
      return "Landlock ABI " + std::to_string(p.abi) +
             ": writes only in the job's scratch directory" +
             (spawner::hiddenFromJobs().empty()
                  ? ""
                  : ", reads nothing of vestad's state, config or key") +
             (p.abi >= 6 ? ", signals only to its own processes"
                         : "; it can still signal vestad's user's processes (Landlock ABI 6, "
                           "Linux 6.12, confines signals)");
    std::string why;
    switch (p.error) {
      case ENOSYS:
        why = "the kernel has no Landlock (Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK)";
        break;
      case EOPNOTSUPP:
        why = "Landlock is disabled at boot (add landlock to the kernel's lsm= list)";
        break;
      case EPERM:
        why =
            "a system call filter blocks landlock_create_ruleset (the unit's or container's "
            "SystemCallFilter=; allow landlock_create_ruleset landlock_add_rule "
            "landlock_restrict_self)";
        break;
      default:
        why = std::string("landlock_create_ruleset: ") + std::strerror(p.error);
    }
    return "NOT confined: exec jobs may write wherever the vestad user can, because " + why;
  }();
  return summary;
}

namespace spawner {

SpawnReply startReaper(const SpawnSpec& spec, pid_t vestad) {
  auto fail = [](std::string why) { return SpawnReply{-1, std::move(why)}; };
  // Everything the child needs is prepared here: after the clone only syscalls are safe.
  std::vector<char*> argv, envp;
  for (auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<std::vector<char*>> commands;  // a batch's, the first included
  if (spec.framed) {
    commands.push_back(argv);
    for (auto& more : spec.batch) {
      commands.emplace_back();
      for (auto& a : more) commands.back().push_back(const_cast<char*>(a.c_str()));
      commands.back().push_back(nullptr);
    }
  }
  UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devNull) return fail(std::string("/dev/null: ") + std::strerror(errno));
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  UniqueFd errorRead(pipeFds[0]), errorWrite(pipeFds[1]);
  const ReadLayer& reads = readLayer();
  if (!reads.error.empty())
    return fail("cannot keep the job from reading vestad's files: " + reads.error +
                "; the job is not started");
  UniqueFd ruleset = makeRuleset(spec.cwd, spec.devices);
  if (!ruleset && landlockAbi() > 0) {
    int e = errno;
    return fail("landlock " + spec.cwd + ": " + std::strerror(e) +
                "; the job is not started unconfined");
  }

  // A fork of the spawner, as vestad's child (CLONE_PARENT; with no new stack the child goes on
  // from here like fork's). The raw syscall leaves glibc's cached thread id stale in the child,
  // which only a pthread call would read: the reaper makes none.
  pid_t parent = vestad;
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0));
  if (pid == 0) {
    // The child uses the descriptors as they are and never returns here: it execs or exits.
    int err = errorWrite.get();
    // Default signal handling: the daemon's handlers and mask must not leak into the job.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::signal(s, SIG_DFL);
    if (::setpgid(0, 0) != 0) childFail(err, 1);
    if (::dup2(spec.stdinFd >= 0 ? spec.stdinFd : devNull.get(), 0) < 0 ||
        ::dup2(spec.stdoutFd, 1) < 0 || ::dup2(spec.stderrFd, 2) < 0)
      childFail(err, 2);
    if (::chdir(spec.cwd.c_str()) != 0) childFail(err, 3);
    // Borrowed work must run niced: a failed setpriority fails the start rather than running
    // the job at the daemon's priority. Never raise it (vestad may already run nicer).
    errno = 0;
    int current = ::getpriority(PRIO_PROCESS, 0);
    if (errno != 0) childFail(err, 8);
    if (spec.nice > current && ::setpriority(PRIO_PROCESS, 0, spec.nice) != 0) childFail(err, 8);
    auto limit = [&](int resource, uint64_t value) {
      rlimit l{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
      if (::setrlimit(resource, &l) != 0) childFail(err, 4);
    };
    if (spec.memBytes) limit(RLIMIT_AS, spec.memBytes);
    if (spec.cpuSeconds) limit(RLIMIT_CPU, spec.cpuSeconds);
    if (spec.maxProcesses) limit(RLIMIT_NPROC, spec.maxProcesses);
    if (spec.maxOpenFiles) limit(RLIMIT_NOFILE, spec.maxOpenFiles);
    limit(RLIMIT_CORE, 0);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) childFail(err, 5);
    if (reads.ruleset && ::syscall(SYS_landlock_restrict_self, reads.ruleset.get(), 0) != 0)
      childFail(err, 6);
    if (ruleset && ::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) childFail(err, 6);
    // This process becomes the job's reaper; the command is its child. Its signals wait in
    // sigwaitinfo, and a vestad that dies takes the job with it (PR_SET_PDEATHSIG).
    sigset_t waitFor;
    sigemptyset(&waitFor);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&waitFor, sig);
    ::sigprocmask(SIG_BLOCK, &waitFor, nullptr);
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) != 0)
      childFail(err, 5);
    if (::getppid() != parent) ::_exit(127);  // vestad died before PDEATHSIG was set
    // The command shares the reaper's memory until its execve (CLONE_VM | CLONE_VFORK, as
    // posix_spawn does): no copy of the page tables of this fork of vestad, no copy-on-write
    // faults. The reaper waits meanwhile; the child runs on its own stack below and only makes
    // syscalls, writing nothing of the reaper's.
    // Before the command exists, every descriptor goes but its three, the error pipe and
    // /dev/null: the spawner's socket and the rulesets must not be in this process while the
    // command runs beside it, in its Landlock domain, where pidfd_getfd could take them.
    closeAllBut(err, devNull.get());
    if (spec.framed) {
      // Set up: the spawner hears of it when the error pipe closes. The commands' own
      // failures to start are the batch's records, not the job's.
      ::close(err);
      ::close(devNull.get());
      sigset_t pipeSignal;
      sigemptyset(&pipeSignal);
      sigaddset(&pipeSignal, SIGPIPE);  // a write to a gone stream fails instead
      ::sigprocmask(SIG_BLOCK, &pipeSignal, nullptr);
      batchReaper(spec.program.c_str(), commands, envp.data(), none, waitFor, spec.idle);
    }
    CommandStart start{spec.program.c_str(), argv.data(), envp.data(), &none, err, spec.idle};
    pid_t command = startCommand(start);
    if (command < 0) childFail(err, 9);
    // The reaper holds nothing of the job's or of vestad's: no pipe stays open because of it
    // (a stdin pipe it held would keep vestad's writes from failing once the command is gone).
    ::dup2(devNull.get(), 0);
    ::dup2(devNull.get(), 1);
    ::dup2(devNull.get(), 2);
    if (::syscall(SYS_close_range, 3, ~0U, 0) != 0)
      for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    reaper(command, waitFor);
  }
  int forkErrno = errno;
  // Only the child holds the write end now: the read below ends at its execve or its exit.
  errorWrite.reset();
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(forkErrno));
  int report[2] = {0, 0};
  ssize_t n;
  do n = ::read(errorRead.get(), report, sizeof report);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof report)) {
    // It exits at once; vestad, its parent, reaps it.
    static const char* kSteps[] = {"",      "setpgid",  "redirect", "chdir",       "setrlimit",
                                   "prctl", "landlock", "execve",   "setpriority", "fork"};
    std::string why;
    if (report[0] == 10 || report[0] == 11) {
      why = spec.program + ": " + idleFailure(report[0] - 9, report[1]) +
            "; a peer's command is not started above idle priority";
    } else {
      int step = report[0] >= 1 && report[0] <= 9 ? report[0] : 0;
      why = std::string(kSteps[step]) + " " + spec.program + ": " + std::strerror(report[1]);
    }
    return {pid, why};
  }
  return {pid, ""};
}

}  // namespace spawner

Result<Spawned> spawnConfined(const SpawnSpec& spec) {
  auto reply = spawner::request(spec);
  if (!reply) return fail(reply.error());
  pid_t pid = reply->pid;
  if (!reply->error.empty()) {
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    return fail(reply->error);
  }
  Spawned out;
  out.pid = pid;
  out.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (out.pidfd < 0) {
    int e = errno;
    killJob(pid);
    ::waitpid(pid, nullptr, 0);
    return fail(std::string("pidfd_open: ") + std::strerror(e));
  }
  return out;
}

void killJob(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGCONT);  // a reaper its job stopped could not act on SIGUSR1
  ::kill(pid, SIGUSR1);
}

TermThenKill::TermThenKill(uv_loop_t* loop, pid_t pid, uint64_t graceMs) : timer_(loop) {
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  timer_.start(graceMs, 0, [pid] { killJob(pid); });
}

void becomeSubreaper() {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

size_t killStrays(const std::vector<pid_t>& reapers) {
  size_t n = readProcs();
  pid_t self = ::getpid();
  std::vector<pid_t> keep = reapers;  // and the spawner, the one child of vestad not a job's
  if (pid_t s = spawner::pid(); s > 0) keep.push_back(s);
  markBelow(n, self, keep.data(), keep.size());
  size_t count = 0;
  for (size_t i = 0; i < n; ++i)
    if (gBelow[i]) {
      ::kill(gProcs[i].pid, SIGKILL);
      ++count;
    }
  // Reap the strays that are our children (the rest are reaped by theirs, or become ours when
  // their parents die, and a later sweep reaps them). Only these pids: never waitpid(-1).
  for (size_t i = 0; i < n; ++i)
    if (gBelow[i] && gProcs[i].ppid == self) ::waitpid(gProcs[i].pid, nullptr, WNOHANG);
  return count;
}

}  // namespace vesta
