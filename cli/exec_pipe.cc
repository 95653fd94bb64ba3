// vesta exec --each --pipe: stdin cut at line ends into blocks (lib/pipe_blocks), each block one
// job's stdin, spread over the federation as --each spreads its arguments; each job's output is
// printed whole as it ends, or with -k in input order (as GNU parallel's --pipe and -k).
//
// Memory stays bounded whatever the input: stdin is read only when a job slot is free and the
// next block is not whole yet, and at most max(2, 64 MiB / block size) jobs (128 at most) are
// in flight, each holding its block until vestad has read it and its output until printed.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <memory>

#include "exec_run.h"
#include "format.h"
#include "pipe_blocks.h"

namespace vesta {
namespace {

constexpr uint64_t kPipeMemory = 64 << 20;
constexpr size_t kMaxInFlight = 128;
constexpr size_t kReadPiece = 64 * 1024;

struct PipeJob {
  size_t seq = 0;  // the block's number, from 1
  Running run;
  bool ended = false;
  int code = 0;
  std::string node, why;
};

// Reads what stdin has now into the splitter, without blocking; false when nothing was ready.
bool readStdin(BlockSplitter& blocks) {
  pollfd p{0, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  std::string piece(kReadPiece, '\0');
  ssize_t n = ::read(0, piece.data(), piece.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return false;
  if (n <= 0) {
    blocks.end();  // end of input (or an error, which ends it too)
    return true;
  }
  blocks.feed(std::string_view(piece.data(), static_cast<size_t>(n)));
  return true;
}

}  // namespace

int commandExecPipe(Client& c, const CliOptions& o) {
  installInterruptHandler();
  uint64_t blockBytes = o.blockBytes ? o.blockBytes : kDefaultBlockBytes;
  BlockSplitter blocks(blockBytes);
  size_t inFlight =
      std::clamp<size_t>(static_cast<size_t>(kPipeMemory / blockBytes), 2, kMaxInFlight);
  // Each job in flight holds four pipes here.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  inFlight =
      std::min<size_t>(inFlight, std::max<size_t>(1, static_cast<size_t>(nofile.rlim_cur / 10)));
  std::map<std::string, Running*> byPath;
  Watch watch = watchRuns(c, byPath);
  std::deque<std::unique_ptr<PipeJob>> jobs;  // in input order
  std::map<std::string, size_t> perNode;
  std::vector<std::string> failures;
  size_t submitted = 0, done = 0, failed = 0;
  bool stopping = false;

  auto print = [&](PipeJob& j) {
    writeAll(1, j.run.out.data(), j.run.out.size());
    writeAll(2, j.run.err.data(), j.run.err.size());
    ++done;
    if (!j.node.empty()) ++perNode[j.node];
    if (j.code != 0) {
      ++failed;
      failures.push_back("block " + std::to_string(j.seq) + " on " +
                         (j.node.empty() ? "?" : j.node) + ": exit " + std::to_string(j.code) +
                         (j.why.empty() ? "" : " (" + j.why + ")"));
    }
  };

  while (!blocks.finished() || !jobs.empty()) {
    if (execInterrupts > 0 && !stopping) {
      stopping = true;
      for (auto& j : jobs)
        if (!j->ended) c.cancel(j->run.path);
    }
    if (execInterrupts > 1 || (stopping && jobs.empty())) break;
    // New jobs while slots are free: the next block, reading stdin only as far as it needs.
    while (!stopping && jobs.size() < inFlight && !blocks.finished()) {
      std::optional<std::string> block = blocks.next();
      if (!block) {
        if (!readStdin(blocks)) break;  // nothing to read now: the poll below waits for it
        continue;
      }
      auto job = std::make_unique<PipeJob>();
      job->seq = ++submitted;
      job->run.label = "block " + std::to_string(job->seq);
      auto ok = submit(c, o, o.command, o.puts, o.gets, job->run, true);
      if (!ok) {
        if (ok.error().code == kExitUnreachable) return reportError(o, ok.error());
        job->ended = true;
        job->code = kExecFailed;
        job->why = ok.error().message;
      } else {
        job->run.input->give(std::move(*block));
        byPath[job->run.path] = &job->run;
      }
      jobs.push_back(std::move(job));
    }
    while (sd_bus_process(c.bus(), nullptr) > 0) {
    }
    for (auto& j : jobs) {
      if (j->ended) continue;
      Running& r = j->run;
      if (r.input) r.input->pump();
      for (int i = 0; i < 3; ++i) {
        pollfd p{r.fds[i].get(), POLLIN, 0};
        while (r.fds[i] && ::poll(&p, 1, 0) > 0) drain(r, i, false);
      }
      if (r.open() || !r.finished) continue;
      api::JobInfo info = finalProperties(c, r);
      j->ended = true;
      j->node = info.node;
      j->code = exitCodeOf(info);
      j->why = info.error.empty() ? r.filesError : info.error;
      if (j->code == 0 && !r.filesError.empty()) j->code = 1;
      byPath.erase(r.path);
      r.input.reset();
    }
    // Print what has ended: -k only from the front, so outputs keep the input's order.
    for (auto it = jobs.begin(); it != jobs.end();) {
      if (!(*it)->ended) {
        if (o.keepOrder) break;
        ++it;
        continue;
      }
      print(**it);
      it = jobs.erase(it);
    }
    if (blocks.finished() && jobs.empty()) break;
    std::vector<pollfd> fds;
    fds.push_back({sd_bus_get_fd(c.bus()), static_cast<short>(sd_bus_get_events(c.bus())), 0});
    if (!stopping && jobs.size() < inFlight && blocks.wantsInput()) fds.push_back({0, POLLIN, 0});
    for (auto& j : jobs) {
      if (j->ended) continue;
      for (const UniqueFd& fd : j->run.fds)
        if (fd) fds.push_back({fd.get(), POLLIN, 0});
      if (j->run.input && j->run.input->waitFor().fd >= 0) fds.push_back(j->run.input->waitFor());
    }
    ::poll(fds.data(), fds.size(), 200);
  }
  std::string nodes;
  for (auto& [node, n] : perNode)
    nodes += (nodes.empty() ? "" : ", ") + node + " " + std::to_string(n);
  std::fprintf(stderr, "vesta: %zu jobs, %zu ok, %zu failed%s%s\n", done, done - failed, failed,
               nodes.empty() ? "" : "; ran on ", nodes.c_str());
  for (auto& f : failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
  if (execInterrupts > 0) return kExecInterrupted;
  return static_cast<int>(std::min<size_t>(failed, 101));  // as GNU parallel counts
}

}  // namespace vesta
