#include "chunks.h"

#include <algorithm>

namespace vesta {

ChunkScheduler::ChunkScheduler(uint64_t total, ChunkOptions options)
    : total_(total), options_(options) {
  if (total > 0) pool_[0] = total;
}

void ChunkScheduler::addRunner(const std::string& runner, unsigned workers) {
  runners_[runner] = Runner{std::max(workers, 1u), 0, 0};
}

uint64_t ChunkScheduler::pending() const {
  uint64_t n = 0;
  for (auto& [first, end] : pool_) n += end - first;
  return n;
}

uint64_t ChunkScheduler::chunkSizeFor(const Runner& r) const {
  uint64_t size =
      r.rate > 0 ? static_cast<uint64_t>(r.rate * static_cast<double>(options_.target_ms) / 1000.0)
                 : options_.first_chunk_per_worker * r.workers;
  // Guided self-scheduling: as the pool drains, chunks shrink so every runner ends near the same
  // moment instead of one finishing a big last chunk alone.
  uint64_t share = pending() / (2 * std::max<size_t>(runners_.size(), 1));
  size = std::min(size, share);
  return std::max(size, options_.min_chunk);
}

bool ChunkScheduler::overdue(const Flight& f, uint64_t nowMs) const {
  auto it = runners_.find(f.runner);
  double rate = it == runners_.end() ? 0 : it->second.rate;
  double expectedMs = rate > 0 ? static_cast<double>(f.range.size()) * 1000.0 / rate
                               : static_cast<double>(options_.target_ms);
  return static_cast<double>(nowMs - f.sentMs) > options_.straggler_factor * expectedMs;
}

std::vector<Range> ChunkScheduler::fill(const std::string& runner, uint64_t nowMs) {
  std::vector<Range> out;
  auto it = runners_.find(runner);
  if (it == runners_.end()) return out;
  while (inFlight(runner) < options_.depth && !pool_.empty()) {
    uint64_t size = chunkSizeFor(it->second);  // before taking from the pool it looks at
    Range r{pool_.begin()->first, pool_.begin()->second};
    pool_.erase(pool_.begin());
    if (r.size() > size) {
      pool_[r.first + size] = r.end;
      r.end = r.first + size;
    }
    flights_.push_back({runner, r, nowMs, false});
    out.push_back(r);
  }
  if (inFlight(runner) == 0 && pool_.empty()) {
    // Nothing left to hand out and this runner is idle: back up the most overdue chunk.
    Flight* worst = nullptr;
    for (auto& f : flights_)
      if (f.runner != runner && !f.copied && overdue(f, nowMs) &&
          (!worst || f.sentMs < worst->sentMs))
        worst = &f;
    if (worst) {
      worst->copied = true;
      Range r = worst->range;
      flights_.push_back({runner, r, nowMs, true});
      out.push_back(r);
    }
  }
  return out;
}

bool ChunkScheduler::complete(const std::string& runner, Range range, const Digest& digest,
                              uint64_t nowMs) {
  auto mine = std::find_if(flights_.begin(), flights_.end(),
                           [&](const Flight& f) { return f.runner == runner && f.range == range; });
  if (mine == flights_.end()) return false;
  auto it = runners_.find(runner);
  if (it != runners_.end()) {
    // Time since this runner last delivered (or since the chunk was sent, if later): with chunks
    // pipelined, that is how long this one took to compute.
    uint64_t since = std::max(mine->sentMs, it->second.lastDoneMs);
    if (nowMs > since) {
      double sample =
          static_cast<double>(range.size()) * 1000.0 / static_cast<double>(nowMs - since);
      it->second.rate = it->second.rate > 0 ? 0.5 * it->second.rate + 0.5 * sample : sample;
    }
    it->second.lastDoneMs = nowMs;
  }
  // Every copy of the range is settled now; a late copy's result is refused above.
  flights_.erase(std::remove_if(flights_.begin(), flights_.end(),
                                [&](const Flight& f) { return f.range == range; }),
                 flights_.end());
  xorInto(result_, digest);
  completed_ += range.size();
  completedBy_[runner] += range.size();
  chunksBy_[runner] += 1;
  return true;
}

uint64_t ChunkScheduler::lose(const std::string& runner) {
  uint64_t back = 0;
  for (auto& f : flights_) {
    if (f.runner != runner) continue;
    bool copyElsewhere = std::any_of(flights_.begin(), flights_.end(), [&](const Flight& g) {
      return g.runner != runner && g.range == f.range;
    });
    if (copyElsewhere) {
      for (auto& g : flights_)
        if (g.range == f.range) g.copied = false;  // the survivor may be backed up again
      continue;
    }
    pool_[f.range.first] = f.range.end;
    back += f.range.size();
  }
  flights_.erase(std::remove_if(flights_.begin(), flights_.end(),
                                [&](const Flight& f) { return f.runner == runner; }),
                 flights_.end());
  runners_.erase(runner);
  return back;
}

uint64_t ChunkScheduler::completedBy(const std::string& runner) const {
  auto it = completedBy_.find(runner);
  return it == completedBy_.end() ? 0 : it->second;
}

uint64_t ChunkScheduler::chunksBy(const std::string& runner) const {
  auto it = chunksBy_.find(runner);
  return it == chunksBy_.end() ? 0 : it->second;
}

size_t ChunkScheduler::inFlight(const std::string& runner) const {
  return static_cast<size_t>(std::count_if(flights_.begin(), flights_.end(),
                                           [&](const Flight& f) { return f.runner == runner; }));
}

}  // namespace vesta
