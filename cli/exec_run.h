// What vesta exec, --each and --pipe share: one submitted command (its pipes and what came out
// of them) and the calls around it. Defined in exec.cc.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api.h"
#include "client.h"
#include "commands.h"
#include "exec_proto.h"
#include "retry_plan.h"
#include "stdin_feed.h"
#include "unique_fd.h"

namespace vesta {

extern volatile sig_atomic_t execInterrupts;

// Exit codes of vesta exec when the command did not give one (as ssh uses 255).
inline constexpr int kExecFailed = 255, kExecInterrupted = 130;

// One submitted command: its pipes' read ends and what came out of them.
struct Running {
  std::string path;      // the job object
  std::string label;     // --each: the argument
  UniqueFd fds[3];       // stdout, stderr, --get files
  std::string out, err;  // --each: buffered, printed whole when the job ends
  std::optional<Finished> finished;
  FilesStreamParser files;
  std::vector<std::string> gets;  // the patterns asked with: nothing else is taken
  bool force = false;             // --force: may replace a file here
  UniqueFd fileFd;
  std::string fileTemp, fileName;
  std::string filesError;
  std::optional<StdinFeed> input;  // its stdin pipe, when it has one
  // --each: which argument (from 0), its attempts so far (--retries), and for the job log
  size_t index = 0;
  RetryPlan plan;
  std::vector<std::string> argv;
  double startedAt = 0;  // wall clock, seconds
  uint64_t sent = 0;     // bytes of its --put files
  // --each of short commands: a batch (lib/batch_stream.h), its stdout their records, when
  // `batch` is not empty. Each command's argument, number, attempts and argv; the one above is
  // the first's.
  struct BatchItem {
    size_t index = 0;
    std::string label;
    RetryPlan plan;
    std::vector<std::string> argv;
  };
  std::vector<BatchItem> batch;
  bool open() const { return fds[0] || fds[1] || fds[2]; }
  ~Running() {
    if (!fileTemp.empty()) ::unlink(fileTemp.c_str());
  }
};

tl::expected<void, ClientError> submit(
    Client& c, const CliOptions& o, std::vector<std::string> argv,
    std::vector<std::string> putPaths, const std::vector<std::string>& gets, Running& run,
    bool withStdin, const std::vector<std::vector<std::string>>* batch = nullptr);
bool writeAll(int fd, const char* data, size_t n);
bool drain(Running& run, int which, bool direct);
void waitIo(Client& c, std::vector<Running*>& runs, int timeoutMs);
api::JobInfo finalProperties(Client& c, const Running& run);
int exitCodeOf(const api::JobInfo& j);
Watch watchRuns(Client& c, std::map<std::string, Running*>& byPath);
void installInterruptHandler();

// --each --pipe (exec_pipe.cc).
int commandExecPipe(Client& c, const CliOptions& o);

}  // namespace vesta
