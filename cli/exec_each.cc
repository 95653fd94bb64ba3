// vesta exec --each (and -- CMD {} ::: ARGS, :::: FILE): one command per argument across the
// federation, up to 128 jobs at a time, short commands in batches (lib/batch_plan), outputs
// grouped per command, --retries, --joblog and --resume, a progress bar and a summary.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "arch_template.h"
#include "arg_source.h"
#include "batch_plan.h"
#include "batch_stream.h"
#include "commands.h"
#include "exec_policy.h"
#include "exec_result.h"
#include "exec_run.h"
#include "fanout.h"
#include "format.h"
#include "job.h"
#include "joblog_writer.h"
#include "retry_plan.h"

namespace vesta {

namespace {

// Batches at a time while there are commands enough for them (lib/batch_plan).
constexpr size_t kBatchLanes = BatchSizing{}.lanes;
constexpr double kFirstEndsSeconds = 0.2;

// Whether the commands may go in batches: one program for all (no placeholder in it), not a
// file shipped with them, no {arch} anywhere.
bool commandBatchable(const std::vector<std::string>& command) {
  bool used = false;
  expandPlaceholders(command[0], "x", 1, &used);
  if (used || namesShippedProgram(command[0]) ||
      (command[0].find('/') != std::string::npos && command[0][0] != '/'))
    return false;
  return std::none_of(command.begin(), command.end(),
                      [](const std::string& w) { return hasArchPlaceholder(w); });
}

// A command to (re)submit: its argument, its number and its attempts so far.
struct Task {
  size_t index = 0;
  std::string arg;
  RetryPlan plan;
};

// One read from every pipe that has something (or its end) now: a single poll for them all,
// not one per pipe, since a fan-out holds hundreds.
void drainReady(std::deque<std::unique_ptr<Running>>& running) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Running*, int>> owners;
  for (auto& r : running)
    for (int i = 0; i < 3; ++i)
      if (r->fds[i]) {
        fds.push_back({r->fds[i].get(), POLLIN, 0});
        owners.emplace_back(r.get(), i);
      }
  if (fds.empty() || ::poll(fds.data(), fds.size(), 0) <= 0) return;
  for (size_t k = 0; k < fds.size(); ++k)
    if (fds[k].revents) drain(*owners[k].first, owners[k].second, false);
}

double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int commandExecEach(Client& c, const CliOptions& o) {
  if (o.pipe) return commandExecPipe(c, o);
  installInterruptHandler();
  auto source = ArgSource::open(o);
  if (!source) return reportError(o, source.error());
  if (source->total() == 0)
    return reportError(o, {kExitUsage, "--each: no arguments to run the command for"});
  std::map<uint64_t, bool> logged;  // --resume: what the job log says ended (seq -> ok)
  std::optional<JobLogWriter> joblog;
  if (!o.joblog.empty()) {
    auto w = JobLogWriter::open(o.joblog, o.resume || o.resumeFailed, logged);
    if (!w) return reportError(o, {kExitUsage, w.error()});
    joblog.emplace(std::move(*w));
  }
  ResumeMode mode = o.resume ? ResumeMode::Resume : ResumeMode::ResumeFailed;
  bool resuming = o.resume || o.resumeFailed;
  // Each running job holds three pipes here.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  const size_t total = source->total();
  size_t inFlight = std::min<size_t>({total, 128, static_cast<size_t>(nofile.rlim_cur / 8)});
  std::map<std::string, Running*> byPath;
  Watch watch = watchRuns(c, byPath);
  std::deque<std::unique_ptr<Running>> running;
  std::deque<Task> again;  // failed, to run again (--retries), before any new argument
  std::map<std::string, size_t> perNode;
  std::vector<std::string> failures, retried;
  size_t next = 0, done = 0, failed = 0, skipped = 0;
  std::string logError;
  bool tty = ::isatty(2);
  auto showProgress = [&] {
    if (!tty) return;
    std::string nodes;
    for (auto& [node, n] : perNode) nodes += "  " + node + " " + std::to_string(n);
    std::fprintf(stderr, "\r\033[K%s %zu/%zu%s%s",
                 progressBar(static_cast<double>(done) / static_cast<double>(total), 30).c_str(),
                 done, total, nodes.c_str(),
                 failed ? ("  " + std::to_string(failed) + " failed").c_str() : "");
  };
  bool exhausted = false;  // every argument has been taken
  // The next command to submit: a retry first, else the next argument the log does not skip.
  auto takeTask = [&](Task& t) {
    if (!again.empty()) {
      t = std::move(again.front());
      again.pop_front();
      return true;
    }
    std::string arg;
    while (source->next(arg)) {
      size_t index = next++;
      if (resuming && skipOnResume(logged, index + 1, mode)) {
        ++skipped;
        ++done;
        continue;
      }
      t = Task{index, std::move(arg), RetryPlan(o.retries)};
      return true;
    }
    exhausted = true;
    return false;
  };
  // One command's end: logged, run again (--retries), or printed and counted.
  auto endCommand = [&](size_t index, const std::string& label, RetryPlan& plan,
                        const std::vector<std::string>& argv, const std::string& node,
                        const Attempt& attempt, int signal, bool cancelled, bool stopping,
                        double startedAt, double runtime, uint64_t sent, const std::string& out,
                        const std::string& err) {
    // A job cancelled by our Ctrl-C did not end: the log leaves it out, --resume runs it.
    if (joblog && !cancelled) {
      JobLogEntry e;
      e.seq = index + 1;
      e.host = node;
      e.startSeconds = startedAt;
      e.runtimeSeconds = runtime;
      e.sent = sent;
      e.received = out.size() + err.size();
      // As GNU parallel logs it: a command killed by signal N has Exitval 0 and Signal N.
      e.exitStatus = signal ? 0 : attempt.exitCode;
      e.signal = signal;
      e.command = argv;
      if (auto ok = joblog->append(e); !ok && logError.empty()) logError = ok.error();
    }
    bool retry = !cancelled && !stopping && plan.ended(attempt);
    if (retry) {
      // Its output is left out, as parallel does: only the attempt that counts is shown.
      retried.push_back(label + ": attempt " + std::to_string(plan.nextNumber() - 1) + " " +
                        describeAttempt(attempt));
      again.push_back(Task{index, label, std::move(plan)});
      return;
    }
    if (tty) std::fprintf(stderr, "\r\033[K");
    writeAll(1, out.data(), out.size());
    writeAll(2, err.data(), err.size());
    ++done;
    if (!node.empty()) ++perNode[node];
    if (attempt.exitCode != 0) {
      ++failed;
      std::string history = plan.history();
      failures.push_back(label + " " + (history.empty() ? describeAttempt(attempt) : history));
    } else if (!plan.history().empty()) {
      retried.push_back(label + ": " + plan.history());
    }
  };
  // Short commands of one program, with nothing of their own (files, stdin, GPUs, a timeout),
  // go in batches (lib/batch_stream.h): one job runs many of them one after another on one
  // node, so the costs of a job (its offer, its reaper, its bus traffic) are paid once for
  // them all. The first ones go one per batch; from their run times on, a batch holds about
  // 50 ms of work by their mean (lib/batch_plan), and never so much that the last batches leave
  // nodes idle. Long commands (builds, renders) go one to a batch, as they would without them.
  const bool batchable =
      o.puts.empty() && o.gets.empty() && !o.timeoutMs && !o.gpus && commandBatchable(o.command);
  double meanRuntimeMs = -1;  // of the commands ended so far, as their runners measured them
  auto nextBatchSize = [&] {
    if (!batchable) return size_t{1};
    return batchSize(meanRuntimeMs, total - std::min(total, next) + again.size());
  };
  // A retried command goes alone: where it failed (its `avoid`) is its own.
  auto takeFresh = [&](Task& t) {
    if (!again.empty() && !again.front().plan.avoid().empty()) return false;
    return takeTask(t);
  };
  // Commands submitted and not yet ended: a batch counts its commands.
  auto commandsInFlight = [&] {
    size_t n = 0;
    for (auto& r : running) n += std::max<size_t>(r->batch.size(), 1);
    return n;
  };
  double firstSubmitted = 0;  // wall clock, seconds
  // Ends the commands of a batch whose job ended: from its records, and for those it has none
  // of, from how the job ended.
  auto endBatch = [&](Running& r, const api::JobInfo& j, bool stopping) {
    const std::string& node = j.node;
    BatchStreamParser parser(r.batch.size());
    auto parsed = parser.feed({reinterpret_cast<const uint8_t*>(r.out.data()), r.out.size()});
    std::string streamError;
    if (!parsed) streamError = "the batch from " + node + " is broken: " + parsed.error();
    bool cancelled = j.state == JobState::Cancelled;
    auto fates = batchFates(parser, cancelled, j.exitStatus < 0);
    auto& outcomes = parser.outcomes();
    // The last command that started: a batch the runner stopped (for its owner, say) ended
    // after it, so the job's reason is that command's.
    size_t last = 0;
    for (size_t k = 0; k < outcomes.size(); ++k)
      if (outcomes[k].started) last = k;
    std::string jobError = j.state == JobState::Failed ? j.error : "";
    for (size_t k = 0; k < r.batch.size(); ++k) {
      auto& item = r.batch[k];
      BatchOutcome& outcome = outcomes[k];
      if (fates[k] == BatchFate::Ended) {
        Attempt attempt{node, 0, k == last ? jobError : ""};
        int signal = 0;
        if (outcome.notStarted) {
          attempt.exitCode = 127;
          attempt.error =
              outcome.startStep == kStartStepExec
                  ? "cannot start " + item.argv[0] + ": " + std::strerror(outcome.execErrno)
                  : std::string("cannot lower its priority to idle: ") +
                        std::strerror(outcome.execErrno) +
                        "; a peer's command is not started above idle priority";
          outcome.err += "vesta: " + item.label + ": " + attempt.error + "\n";
        } else {
          if (WIFSIGNALED(outcome.waitStatus)) {
            signal = WTERMSIG(outcome.waitStatus);
            attempt.exitCode = 128 + signal;
          } else {
            attempt.exitCode = WEXITSTATUS(outcome.waitStatus);
          }
          double ms = static_cast<double>(outcome.runtimeUs) / 1000;
          meanRuntimeMs = nextMeanRuntimeMs(meanRuntimeMs, ms);
        }
        endCommand(item.index, item.label, item.plan, item.argv, node, attempt, signal, false,
                   stopping, r.startedAt + static_cast<double>(outcome.startOffsetUs) / 1e6,
                   static_cast<double>(outcome.runtimeUs) / 1e6, 0, outcome.out, outcome.err);
        continue;
      }
      if (fates[k] == BatchFate::Again) {
        // It never started: it goes again as it was, no attempt spent (none, when we stop).
        if (!stopping) again.push_back(Task{item.index, item.label, std::move(item.plan)});
        continue;
      }
      Attempt attempt{node, exitCodeOf(j), streamError.empty() ? j.error : streamError};
      if (attempt.exitCode == 0) attempt.exitCode = kExecFailed;
      if (attempt.error.empty()) attempt.error = "its batch ended before it did";
      endCommand(item.index, item.label, item.plan, item.argv, node, attempt, 0,
                 fates[k] == BatchFate::Cancelled, stopping, r.startedAt,
                 wallSeconds() - r.startedAt, 0, outcome.out, outcome.err);
    }
  };
  bool stopping = false;
  while (!exhausted || !again.empty() || !running.empty()) {
    if (execInterrupts > 0 && !stopping) {
      stopping = true;
      exhausted = true;
      again.clear();
      for (auto& r : running) c.cancel(r->path);
    }
    if (execInterrupts > 1) break;
    Task t;
    // Until the first run times are known, few at a time: they may all be short, and then the
    // rest go in batches. When none has ended after kFirstEndsSeconds they are not that short:
    // as many as without batches.
    if (batchable && firstSubmitted == 0) firstSubmitted = wallSeconds();
    bool learning =
        batchable && meanRuntimeMs < 0 && wallSeconds() - firstSubmitted < kFirstEndsSeconds;
    size_t maxRuns = learning ? std::min(inFlight, kBatchLanes) : inFlight;
    size_t maxCommands = std::max(inFlight, kBatchLanes * nextBatchSize());
    while (!stopping && running.size() < maxRuns && commandsInFlight() < maxCommands &&
           takeTask(t)) {
      auto run = std::make_unique<Running>();
      run->label = t.arg;
      run->index = t.index;
      run->plan = std::move(t.plan);
      size_t seq = t.index + 1;
      std::vector<std::string> puts, gets;
      for (auto& p : o.puts) puts.push_back(expandPlaceholders(p, t.arg, seq));
      for (auto& g : o.gets) gets.push_back(expandPlaceholders(g, t.arg, seq));
      run->argv = expandCommand(o.command, run->label, seq);
      run->startedAt = wallSeconds();
      tl::expected<void, ClientError> submitted;
      if (batchable) {
        run->batch.push_back({run->index, run->label, run->plan, run->argv});
        std::vector<std::vector<std::string>> rest;
        Task more;
        // Within what one Exec call may carry: the next command waits for the next batch.
        BatchLoad load;
        load.add(run->argv);
        for (size_t want = nextBatchSize();
             run->plan.avoid().empty() && run->batch.size() < want && takeFresh(more);) {
          auto argv = expandCommand(o.command, more.arg, more.index + 1);
          if (!load.add(argv)) {
            again.push_front(std::move(more));
            break;
          }
          rest.push_back(argv);
          run->batch.push_back({more.index, more.arg, std::move(more.plan), std::move(argv)});
        }
        submitted = submit(c, o, run->argv, puts, gets, *run, false, &rest);
      } else {
        submitted = submit(c, o, run->argv, puts, gets, *run, false);
      }
      if (!submitted) {
        size_t n = std::max<size_t>(run->batch.size(), 1);
        for (size_t k = 0; k < n; ++k) {
          ++done;
          ++failed;
          failures.push_back((run->batch.empty() ? run->label : run->batch[k].label) + ": " +
                             submitted.error().message);
        }
        if (submitted.error().code == kExitUnreachable) return reportError(o, submitted.error());
        continue;
      }
      byPath[run->path] = run.get();
      running.push_back(std::move(run));
    }
    while (sd_bus_process(c.bus(), nullptr) > 0) {
    }
    drainReady(running);
    // Jobs whose pipes are closed and whose end was announced: print them whole.
    for (auto it = running.begin(); it != running.end();) {
      Running& r = **it;
      if (r.open() || !r.finished) {
        ++it;
        continue;
      }
      api::JobInfo j = finalProperties(c, r);
      if (!r.batch.empty()) {
        endBatch(r, j, stopping);
      } else {
        int code = exitCodeOf(j);
        Attempt attempt{j.node, code == 0 && !r.filesError.empty() ? 1 : code,
                        j.error.empty() ? r.filesError : j.error};
        auto how = parseExecResult(j.result);
        endCommand(r.index, r.label, r.plan, r.argv, j.node, attempt, how ? how->signal : 0,
                   j.state == JobState::Cancelled, stopping, r.startedAt,
                   wallSeconds() - r.startedAt, r.sent, r.out, r.err);
      }
      byPath.erase(r.path);
      it = running.erase(it);
      showProgress();
    }
    if (!running.empty()) {
      std::vector<Running*> waitOn;
      for (auto& r : running) waitOn.push_back(r.get());
      waitIo(c, waitOn, 200);
    }
    showProgress();
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  std::string nodes;
  for (auto& [node, n] : perNode)
    nodes += (nodes.empty() ? "" : ", ") + node + " " + std::to_string(n);
  std::string skippedText;
  if (skipped)
    skippedText = ", " + std::to_string(skipped) + " skipped (" +
                  (o.resume ? "--resume" : "--resume-failed") + ": in the job log)";
  std::fprintf(stderr, "vesta: %zu jobs, %zu ok, %zu failed%s%s%s\n", done, done - failed - skipped,
               failed, skippedText.c_str(), nodes.empty() ? "" : "; ran on ", nodes.c_str());
  for (auto& f : retried) std::fprintf(stderr, "  retried: %s\n", f.c_str());
  for (auto& f : failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
  if (!logError.empty()) std::fprintf(stderr, "vesta: %s\n", logError.c_str());
  if (execInterrupts > 0) return kExecInterrupted;
  if (!logError.empty() && failed == 0) return 1;          // the jobs ran, their log was not kept
  return static_cast<int>(std::min<size_t>(failed, 101));  // as GNU parallel counts
}

}  // namespace vesta
