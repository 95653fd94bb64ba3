// The fan-out's decisions about batches (lib/batch_stream.h), pure: how many commands the next
// batch takes, and what became of each command of a batch that ended. cli/exec.cc acts on them.
#pragma once

#include <cstddef>
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

// The run times seen so far, as an average that follows the latest ones; -1 before the first.
inline double nextMeanRuntimeMs(double mean, double latestMs) {
  return mean < 0 ? latestMs : 0.8 * mean + 0.2 * latestMs;
}

enum class BatchFate {
  Ended,         // its records tell its end (or that it could not start)
  FailedWithIt,  // it was running when the batch ended: it failed as the batch's job did
  Again,         // it never started: it goes again, no attempt spent
  Cancelled,     // our Ctrl-C: neither logged nor run again
};

// What became of each command of a batch whose job ended: `parser` holds the job's records,
// `cancelled` says the job was cancelled (our Ctrl-C), `ranNothing` that it never ran (refused,
// never placed: each command failed with it, as alone each would have). The command a cancel
// stopped ended by its signal: it counts as cancelled, as it would alone.
std::vector<BatchFate> batchFates(BatchStreamParser& parser, bool cancelled, bool ranNothing);

}  // namespace vesta
