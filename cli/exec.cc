// vesta exec: runs a command on the best node and streams its stdout and stderr here, unmixed
// and byte for byte, with the command's exit status as ours; and what the fan-outs share with
// it (exec_run.h): one submission, its pipes, its end. --each is exec_each.cc.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "arch_placement.h"
#include "arch_template.h"
#include "commands.h"
#include "exec_policy.h"
#include "exec_proto.h"
#include "exec_result.h"
#include "exec_run.h"
#include "put_files.h"

namespace vesta {

volatile sig_atomic_t execInterrupts = 0;

namespace {

int appendStrings(sd_bus_message* m, const std::vector<std::string>& words) {
  int r = sd_bus_message_open_container(m, 'a', "s");
  for (auto& w : words)
    if (r >= 0) r = sd_bus_message_append(m, "s", w.c_str());
  return r < 0 ? r : sd_bus_message_close_container(m);
}

ClientResult<std::string> callExec(
    Client& c, const CliOptions& o, const std::vector<std::string>& argv,
    const std::vector<PutSpec>& puts, const std::vector<std::string>& gets, const UniqueFd (&w)[3],
    const UniqueFd& in, const std::string& arch, const std::vector<std::string>& archTemplates,
    const std::vector<std::string>& avoid, const std::vector<std::vector<std::string>>* batch) {
  auto call = c.newCall("Exec");
  if (!call) return tl::unexpected(call.error());
  sd_bus_message* m = call->get();
  int r = sd_bus_message_open_container(m, 'a', "s");
  for (auto& a : argv)
    if (r >= 0) r = sd_bus_message_append(m, "s", a.c_str());
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0) r = sd_bus_message_append(m, "hhh", w[0].get(), w[1].get(), w[2].get());
  if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(ssbh)");
  for (auto& p : puts)
    if (r >= 0)
      r = sd_bus_message_append(m, "(ssbh)", p.name.c_str(), p.sha.c_str(), p.executable ? 1 : 0,
                                p.fd.get());
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0) r = sd_bus_message_open_container(m, 'a', "s");
  for (auto& g : gets)
    if (r >= 0) r = sd_bus_message_append(m, "s", g.c_str());
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0) r = appendPlacement(m, o);
  if (r >= 0 && !arch.empty()) r = sd_bus_message_append(m, "{sv}", "arch", "s", arch.c_str());
  if (r >= 0 && !archTemplates.empty()) {
    r = sd_bus_message_open_container(m, 'e', "sv");
    if (r >= 0) r = sd_bus_message_append(m, "s", "arch_files");
    if (r >= 0) r = sd_bus_message_open_container(m, 'v', "as");
    if (r >= 0) r = sd_bus_message_open_container(m, 'a', "s");
    for (auto& t : archTemplates)
      if (r >= 0) r = sd_bus_message_append(m, "s", t.c_str());
    for (int i = 0; i < 3 && r >= 0; ++i) r = sd_bus_message_close_container(m);
  }
  if (r >= 0 && !avoid.empty()) r = sd_bus_message_open_container(m, 'e', "sv");
  if (r >= 0 && !avoid.empty()) r = sd_bus_message_append(m, "s", "avoid");
  if (r >= 0 && !avoid.empty()) r = sd_bus_message_open_container(m, 'v', "as");
  if (r >= 0 && !avoid.empty()) r = appendStrings(m, avoid);
  if (r >= 0 && !avoid.empty()) r = sd_bus_message_close_container(m);
  if (r >= 0 && !avoid.empty()) r = sd_bus_message_close_container(m);
  if (r >= 0 && o.timeoutMs) r = sd_bus_message_append(m, "{sv}", "timeout_ms", "t", o.timeoutMs);
  if (r >= 0 && o.memMb) r = sd_bus_message_append(m, "{sv}", "mem_mb", "t", o.memMb);
  if (r >= 0 && o.cpuS) r = sd_bus_message_append(m, "{sv}", "cpu_s", "t", o.cpuS);
  if (r >= 0 && in) r = sd_bus_message_append(m, "{sv}", "stdin", "h", in.get());
  if (r >= 0 && o.gpus)
    r = sd_bus_message_append(m, "{sv}", "gpus", "u", static_cast<uint32_t>(o.gpus));
  if (r >= 0 && batch) {
    r = sd_bus_message_open_container(m, 'e', "sv");
    if (r >= 0) r = sd_bus_message_append(m, "s", "batch");
    if (r >= 0) r = sd_bus_message_open_container(m, 'v', "aas");
    if (r >= 0) r = sd_bus_message_open_container(m, 'a', "as");
    for (auto& command : *batch)
      if (r >= 0) r = appendStrings(m, command);
    for (int i = 0; i < 3 && r >= 0; ++i) r = sd_bus_message_close_container(m);
  }
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r < 0) return tl::unexpected(ClientError{kExecFailed, "cannot build the D-Bus call"});
  auto path = c.callForJob(std::move(*call), kExecFailed);
  if (!path && path.error().code != kExitUnreachable) path.error().code = kExecFailed;
  return path;
}

}  // namespace

// Submits one command with fresh pipes. On success `run` holds the read ends (and, withStdin,
// the feed of its stdin pipe). Every descriptor opened here is owned, so a failure at any step
// closes them all.
tl::expected<void, ClientError> submit(Client& c, const CliOptions& o,
                                       std::vector<std::string> argv,
                                       std::vector<std::string> putPaths,
                                       const std::vector<std::string>& gets, Running& run,
                                       bool withStdin,
                                       const std::vector<std::vector<std::string>>* batch) {
  // {arch}: every variant that exists here travels, and the job goes only to nodes of those
  // machines (and of --arch, when given); vestad gives each node its own variant.
  std::string arch = o.arch;
  auto variants = archVariants(
      argv, putPaths, [](const std::string& path) { return ::access(path.c_str(), F_OK) == 0; });
  if (!variants.templates.empty()) {
    ArchRequest wanted{std::nullopt, "", {}};
    if (!arch.empty()) wanted.archs = *parseArchList(arch);  // checked when parsed
    arch.clear();
    for (auto& machine : variants.machines)
      if (archWhyNot("", {nodeArchFrom(machine), ""}, wanted).empty())
        arch += (arch.empty() ? "" : ",") + machine;
    if (arch.empty())
      return tl::unexpected(
          ClientError{kExitUsage, variants.templates[0] + ": no file here for any architecture" +
                                      (o.arch.empty() ? "" : " of --arch " + o.arch) +
                                      " ({arch} is uname -m: x86_64, aarch64, armv7l, ...)"});
    putPaths = variants.puts;
  }
  addProgram(argv, putPaths);
  auto puts = openPuts(putPaths);
  if (!puts) return tl::unexpected(puts.error());
  run.sent = 0;
  for (auto& p : *puts) {
    struct stat st {};
    if (::fstat(p.fd.get(), &st) == 0) run.sent += static_cast<uint64_t>(st.st_size);
  }
  UniqueFd reads[3], writes[3];
  for (int i = 0; i < 3; ++i) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
      return tl::unexpected(ClientError{kExecFailed, std::string("pipe: ") + std::strerror(errno)});
    reads[i].reset(p[0]);
    writes[i].reset(p[1]);
  }
  UniqueFd stdinRead;
  std::optional<StdinFeed> feed;
  if (withStdin) {
    auto opened = StdinFeed::open(stdinRead);
    if (!opened) return tl::unexpected(opened.error());
    feed = std::move(*opened);
  }
  // vestad holds its own copies of the write ends, the stdin read end and the files once the
  // call returns.
  auto path = callExec(c, o, argv, *puts, gets, writes, stdinRead, arch, variants.templates,
                       run.plan.avoid(), batch);
  if (!path) return tl::unexpected(path.error());
  run.input = std::move(feed);
  run.path = *path;
  // What may come back: each pattern as the node that runs it expands {arch}.
  run.gets.clear();
  for (auto& g : gets) {
    if (!hasArchPlaceholder(g)) {
      run.gets.push_back(g);
      continue;
    }
    for (auto& machine : arch.empty() ? archMachines() : *parseArchList(arch))
      run.gets.push_back(expandArch(g, machine));
  }
  run.force = o.force;
  for (int i = 0; i < 3; ++i) run.fds[i] = std::move(reads[i]);
  return {};
}

bool writeAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

namespace {

// --get files arrive as records; each is written to a temporary name here and moved into place
// when whole, so an interrupted transfer never leaves a half file under the real name. The
// runner chooses what it sends: a record is taken only under a name the --get patterns asked
// for (acceptFetchedFile), and it never replaces a file here without --force, as cp -n.
void takeFiles(Running& run, std::span<const uint8_t> bytes) {
  if (!run.filesError.empty()) return;
  auto ok = run.files.feed(bytes, [&](const FilesStreamParser::Event& e) {
    using Kind = FilesStreamParser::Event::Kind;
    if (!run.filesError.empty()) return;
    if (e.kind == Kind::Begin) {
      run.fileName = e.header.name;
      if (auto accepted = acceptFetchedFile(run.fileName, run.gets); !accepted) {
        run.filesError = accepted.error();
        return;
      }
      struct stat st {};
      if (!run.force && ::lstat(run.fileName.c_str(), &st) == 0) {
        run.filesError = run.fileName + " exists here; use --force to replace it";
        return;
      }
      run.fileTemp = ".vesta-get-" + std::to_string(::getpid()) + "-" + e.header.name;
      run.fileFd.reset(
          ::open(run.fileTemp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!run.fileFd) {
        run.filesError = run.fileName + ": " + std::strerror(errno);
        run.fileTemp.clear();
      }
    } else if (e.kind == Kind::Data) {
      if (!writeAll(run.fileFd.get(), reinterpret_cast<const char*>(e.data.data()), e.data.size()))
        run.filesError = run.fileName + ": " + std::strerror(errno);
    } else {
      run.fileFd.reset();
      // Without --force the move itself refuses an existing name, so a file that appeared
      // while this one arrived is not replaced either.
      int r = ::renameat2(AT_FDCWD, run.fileTemp.c_str(), AT_FDCWD, run.fileName.c_str(),
                          run.force ? 0 : RENAME_NOREPLACE);
      if (r != 0 && errno == EEXIST)
        run.filesError = run.fileName + " exists here; use --force to replace it";
      else if (r != 0)
        run.filesError = run.fileName + ": " + std::strerror(errno);
      if (r != 0) ::unlink(run.fileTemp.c_str());
      run.fileTemp.clear();
    }
  });
  if (!ok) run.filesError = ok.error();
}

}  // namespace

// Reads what is ready on a job's pipes: straight to our stdout/stderr when `direct`, else into
// its buffers. Returns false when our own stdout is gone (a closed pipe downstream).
bool drain(Running& run, int which, bool direct) {
  uint8_t buf[65536];
  ssize_t n = ::read(run.fds[which].get(), buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) {
    run.fds[which].reset();
    return true;
  }
  auto bytes = std::span<const uint8_t>(buf, static_cast<size_t>(n));
  if (which == 2) {
    takeFiles(run, bytes);
    return true;
  }
  if (!direct) {
    (which == 0 ? run.out : run.err).append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
    return true;
  }
  return writeAll(which == 0 ? 1 : 2, reinterpret_cast<char*>(buf), static_cast<size_t>(n));
}

// Waits for I/O on every open pipe and the bus, for up to `timeoutMs`.
void waitIo(Client& c, std::vector<Running*>& runs, int timeoutMs) {
  std::vector<pollfd> fds;
  fds.push_back({sd_bus_get_fd(c.bus()), static_cast<short>(sd_bus_get_events(c.bus())), 0});
  for (auto* run : runs) {
    for (const UniqueFd& fd : run->fds)
      if (fd) fds.push_back({fd.get(), POLLIN, 0});
    if (run->input && run->input->waitFor().fd >= 0) fds.push_back(run->input->waitFor());
  }
  ::poll(fds.data(), fds.size(), timeoutMs);
}

// Final properties, for the exit status and the node: from the Finished signal when it said
// them all (no round trip per job), else asked of the job.
api::JobInfo finalProperties(Client& c, const Running& run) {
  if (run.finished && run.finished->whole) {
    api::JobInfo j;
    j.id = run.path.substr(run.path.rfind('/') + 1);
    j.state = parseJobState(run.finished->state).value_or(JobState::Failed);
    j.result = run.finished->result;
    j.error = run.finished->error;
    j.node = run.finished->node;
    j.exitStatus = run.finished->exitStatus;
    return j;
  }
  auto job = c.job(run.path);
  if (job) return *job;
  api::JobInfo last;  // vestad went away after announcing the end
  last.state = parseJobState(run.finished ? run.finished->state : "").value_or(JobState::Failed);
  last.result = run.finished ? run.finished->result : "";
  last.error = run.finished ? run.finished->error : "";
  return last;
}

int exitCodeOf(const api::JobInfo& j) {
  if (j.state == JobState::Cancelled) return kExecInterrupted;
  if (j.exitStatus >= 0 && (j.state == JobState::Done || j.state == JobState::Failed))
    return j.exitStatus;
  return kExecFailed;
}

// Routes each Finished signal to the command it ends.
Watch watchRuns(Client& c, std::map<std::string, Running*>& byPath) {
  return c.watchFinished([&byPath](const Finished& f) {
    if (auto it = byPath.find(f.path); it != byPath.end()) it->second->finished = f;
  });
}

void installInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { execInterrupts = execInterrupts + 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

namespace {

// One attempt of a single command, streamed straight here; `attempt` says how it ended.
int execOnce(Client& c, const CliOptions& o, Running& run, Attempt& attempt) {
  std::map<std::string, Running*> byPath;
  // Subscribe before submitting, so a command that ends at once cannot be missed.
  Watch watch = watchRuns(c, byPath);
  // stdin goes to the command, as ssh forwards it (a terminal too, without a tty there: see
  // the man page); -n gives it /dev/null, and so does --retries: stdin cannot be read twice.
  auto submitted = submit(c, o, o.command, o.puts, o.gets, run, !o.noStdin && o.retries == 0);
  if (!submitted) return reportError(o, submitted.error());
  if (run.input) run.input->copyFrom(0);
  byPath[run.path] = &run;
  std::vector<Running*> all{&run};
  bool cancelled = false, stdoutGone = false, shownPaused = false;
  auto lastPoll = std::chrono::steady_clock::now(), lastState = lastPoll;
  while (run.open() || !run.finished) {
    // Paused by its runner for that machine's owner: say so once, and again when it resumes.
    if (auto now = std::chrono::steady_clock::now();
        !run.finished && now - lastState > std::chrono::seconds(1)) {
      lastState = now;
      if (auto job = c.job(run.path); job && (job->state == JobState::Paused) != shownPaused) {
        shownPaused = !shownPaused;
        std::string id = run.path.substr(run.path.rfind('/') + 1);
        if (shownPaused)
          std::fprintf(stderr, "vesta: job %s paused on %s: %s\n", id.c_str(), job->node.c_str(),
                       job->pauseReason.c_str());
        else if (job->state == JobState::Running)
          std::fprintf(stderr, "vesta: job %s resumed on %s\n", id.c_str(), job->node.c_str());
      }
    }
    if (execInterrupts > 0 && !cancelled) {
      cancelled = true;
      c.cancel(run.path);
    }
    if (execInterrupts > 1) break;  // a second Ctrl-C: stop waiting
    while (sd_bus_process(c.bus(), nullptr) > 0) {
    }
    if (run.input) run.input->pump();
    for (int i = 0; i < 3; ++i) {
      if (!run.fds[i]) continue;
      pollfd p{run.fds[i].get(), POLLIN, 0};
      if (::poll(&p, 1, 0) > 0 && !drain(run, i, true)) {
        stdoutGone = true;  // e.g. `vesta exec ... | head`: the command goes too
        c.cancel(run.path);
        break;
      }
    }
    if (stdoutGone) break;
    if (!run.open() && !run.finished) {
      // The pipes are closed: vestad ended the job or went away. Ask, not only listen.
      auto now = std::chrono::steady_clock::now();
      if (now - lastPoll > std::chrono::milliseconds(500)) {
        lastPoll = now;
        auto job = c.job(run.path);
        if (!job) break;
        if (isTerminal(job->state))
          run.finished = Finished{run.path,   jobStateName(job->state), job->result,
                                  job->error, job->exitStatus,          job->node,
                                  true};
      }
    }
    if (run.open() || !run.finished) waitIo(c, all, 200);
  }
  if (stdoutGone) return 141;  // as a command killed by SIGPIPE
  std::string id = run.path.substr(run.path.rfind('/') + 1);
  if (execInterrupts > 0) {
    std::fprintf(stderr, "vesta: interrupted: job %s cancelled\n", id.c_str());
    return kExecInterrupted;
  }
  // A command that ended normally is told whole by the Finished signal (result "exit N" or
  // "signal N"); any other end (a timeout, a failure, a missed signal) asks for the job's
  // ExitStatus and Error.
  api::JobInfo j;
  std::optional<ExecOutcome> outcome;
  if (run.finished && run.finished->state == "done")
    outcome = parseExecResult(run.finished->result);
  if (outcome) {
    j.id = id;
    j.state = JobState::Done;
    j.error = run.finished->error;
    j.exitStatus = outcome->exitStatus;
  } else {
    j = finalProperties(c, run);
  }
  if (!run.filesError.empty()) std::fprintf(stderr, "vesta: --get: %s\n", run.filesError.c_str());
  int code = exitCodeOf(j);
  if (code == 0 && !run.filesError.empty()) code = 1;  // the command ran, its files did not come
  if (!j.error.empty()) std::fprintf(stderr, "vesta: %s\n", j.error.c_str());
  if (code == kExecFailed && j.error.empty())
    std::fprintf(stderr, "vesta: job %s %s\n", j.id.c_str(), jobStateName(j.state));
  attempt = {j.node, code, j.error};
  if (attempt.node.empty() && run.finished) attempt.node = run.finished->node;
  if (code != 0 && attempt.node.empty() && o.retries > 0)
    if (auto job = c.job(run.path)) attempt.node = job->node;  // where it failed, to avoid it
  return code;
}

}  // namespace

int commandExec(Client& c, const CliOptions& o) {
  installInterruptHandler();
  RetryPlan plan(o.retries);
  for (;;) {
    Running run;
    run.plan = plan;  // the nodes to pass over
    Attempt attempt;  // left empty (never placed) when the submission itself failed
    int code = execOnce(c, o, run, attempt);
    if (code == 141 || execInterrupts > 0 || !plan.ended(attempt)) {
      if (!plan.history().empty()) std::fprintf(stderr, "vesta: %s\n", plan.history().c_str());
      return code;
    }
    std::fprintf(stderr, "vesta: attempt %u of at most %u failed %s; running it again\n",
                 plan.nextNumber() - 1, plan.most(), describeAttempt(attempt).c_str());
  }
}

}  // namespace vesta
