// Dynamic chunking for a split cpu job: runners pull ranges of the iteration
// space sized to their measured speed, so a fast desktop and a slow Pi finish together, a runner
// that gets busy takes less, and a lost runner's ranges go back to the pool for the others.
// Pure: the caller supplies the clock and moves the messages.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cpujob.h"

namespace vesta {

struct Range {
  uint64_t first = 0, end = 0;
  uint64_t size() const { return end - first; }
  bool operator==(const Range&) const = default;
};

struct ChunkOptions {
  uint64_t first_chunk_per_worker = 1 << 21;  // before a runner's speed is known
  uint64_t min_chunk = 1 << 20;  // smaller chunks cost more in round trips than they save
  uint64_t target_ms = 1000;     // a chunk should take about this long on its runner
  unsigned depth = 2;            // chunks in flight per runner, to hide the round trip
  double straggler_factor = 3;   // a chunk this many times overdue is also given to an idle runner
};

class ChunkScheduler {
 public:
  ChunkScheduler(uint64_t total, ChunkOptions options = {});

  void addRunner(const std::string& runner, unsigned workers);
  bool hasRunner(const std::string& runner) const { return runners_.count(runner) > 0; }

  // The ranges to send `runner` now, at `nowMs`, to keep `depth` chunks in flight. Near the end,
  // an idle runner also gets a copy of a chunk that is long overdue elsewhere (the first result
  // wins), so one stalled node cannot hold the whole job.
  std::vector<Range> fill(const std::string& runner, uint64_t nowMs);

  // Records a result. False, and nothing changes, when `range` is not in flight at `runner`: a
  // late copy of a range already done, or a range that was never sent there.
  bool complete(const std::string& runner, Range range, const Digest& digest, uint64_t nowMs);

  // `runner` is gone: its ranges go back to the pool (unless another runner has a copy).
  // Returns the iterations that went back.
  uint64_t lose(const std::string& runner);

  bool done() const { return completed_ == total_; }
  const Digest& result() const { return result_; }
  uint64_t total() const { return total_; }
  uint64_t completed() const { return completed_; }
  uint64_t completedBy(const std::string& runner) const;
  uint64_t chunksBy(const std::string& runner) const;
  size_t inFlight(const std::string& runner) const;

 private:
  struct Runner {
    unsigned workers = 1;
    double rate = 0;  // iterations per second, smoothed
    uint64_t lastDoneMs = 0;
  };
  struct Flight {
    std::string runner;
    Range range;
    uint64_t sentMs = 0;
    bool copied = false;  // a copy went to another runner already
  };
  uint64_t chunkSizeFor(const Runner& runner) const;
  uint64_t pending() const;
  bool overdue(const Flight& flight, uint64_t nowMs) const;

  uint64_t total_;
  ChunkOptions options_;
  std::map<uint64_t, uint64_t> pool_;  // first -> end of every range nobody holds
  std::vector<Flight> flights_;
  std::map<std::string, Runner> runners_;
  std::map<std::string, uint64_t> completedBy_, chunksBy_;  // kept after a runner is lost
  uint64_t completed_ = 0;
  Digest result_{};
};

}  // namespace vesta
