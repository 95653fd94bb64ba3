// The fan-out's decisions about batches (lib/batch_stream.h), pure: how many commands the next
// batch takes, and what became of each command of a batch that ended. cli/exec.cc acts on them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "batch_stream.h"

namespace vesta {

struct BatchSizing {
  double targetMs = 50;  // the work one batch should hold
  size_t most = 64;      // commands in one batch, whatever their run times
  size_t lanes = 16;     // batches at a time while there are commands enough for them
};

// The next batch's size: 1 while no run time is known (meanRuntimeMs < 0), so that a long
// command never waits behind others; then about targetMs of work, never more than `most`, and
// never so much that the `left` commands fill fewer than `lanes` batches.
size_t batchSize(double meanRuntimeMs, size_t left, const BatchSizing& sizing = {});

// What a batch's commands add up to, against what one offer may carry: kMaxArgs words and
// kMaxArgvBytes of them in all (lib/exec_proto.h), the first command included.
class BatchLoad {
 public:
  // Counts the command in; false, counting nothing, when it would pass either cap (the first
  // command is always counted: alone it is refused as it would be without batches).
  bool add(const std::vector<std::string>& argv);

 private:
  size_t words_ = 0, bytes_ = 0;
};

// The run times seen so far, as an average that follows the latest ones; -1 before the first.
inline double nextMeanRuntimeMs(double mean, double latestMs) {
  return mean < 0 ? latestMs : 0.8 * mean + 0.2 * latestMs;
}

enum class BatchFate {
  Ended,         // its records tell its end (or that it could not start)
  FailedWithIt,  // it was running when the batch ended: it failed as the batch's job did
  Again,         // it never started: it goes again, no attempt spent
  Cancelled,     // it was running at our Ctrl-C: neither logged nor run again
};

// What became of each command of a batch whose job ended, from the job's records in `parser`:
// ended ones as their records say; the one that had started and not ended failed with the job
// (or was cancelled, when `cancelled`: our Ctrl-C, whose cancel also cut the stream, so a
// command that ended after it is among these); those that never started go again. When none
// started at all and the job never ran (`neverRan`: refused, never placed), each failed with
// it, as alone each would have. Outside a cancel, one command at least is settled: when none
// started, the first failed with the batch (so a runner that never starts any cannot have the
// fan-out resubmit them for ever).
std::vector<BatchFate> batchFates(const BatchStreamParser& parser, bool cancelled, bool neverRan);

}  // namespace vesta
