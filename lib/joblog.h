// The job log of `vesta exec --each --joblog FILE`, in GNU parallel's format, so the tools
// people already have for it (and parallel's own --resume) read it: a header line, then one
// tab-separated line per ended job, in the order jobs end:
//   Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
// and what --resume / --resume-failed skip when they read it back. Pure: the CLI appends and
// fsyncs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace vesta {

struct JobLogEntry {
  uint64_t seq = 0;         // the job's number from 1, as {#}
  std::string host;         // the node that ran it (parallel writes ":" for this machine)
  double startSeconds = 0;  // wall clock, seconds since the epoch
  double runtimeSeconds = 0;
  uint64_t sent = 0, received = 0;  // bytes of --put files sent, output received
  int exitStatus = 0;
  int signal = 0;                    // the signal that ended it, 0 when it exited
  std::vector<std::string> command;  // as run, placeholders expanded
  bool succeeded() const { return exitStatus == 0 && signal == 0; }
};

// The first line of a new log.
std::string jobLogHeader();
// One line, with its newline. The command is written as a shell would read it back, words
// with blanks or quotes in single quotes (as parallel does).
std::string jobLogLine(const JobLogEntry& entry);

enum class ResumeMode {
  Resume,        // skip every job the log has, however it ended
  ResumeFailed,  // skip the jobs that succeeded; run the failed ones again
};

// Reads a log back: the jobs to skip, by Seq. A malformed line is an error naming its number
// and what was expected, so a damaged log is never taken for an empty one. The last line may
// be cut short (the machine died while writing it): it is ignored, that job runs again.
Result<std::map<uint64_t, bool>> readJobLog(std::string_view text);  // seq -> succeeded
bool skipOnResume(const std::map<uint64_t, bool>& log, uint64_t seq, ResumeMode mode);

// A word as a POSIX shell reads it back.
std::string shellQuote(const std::string& word);

}  // namespace vesta
