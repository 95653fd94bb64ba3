// A batch's output stream: many short commands (`vesta exec --each`) run one after another by
// one reaper on the runner, and their stdout, stderr and ends travel in the one stdout pipe of
// the batch's job, as records. Per command a fork of vestad's spawner, an offer over the link,
// a job object on the bus and its signals cost more than a `true` does; per batch they are
// paid once. Pure: the reaper writes headers with encodeBatchHeader (no allocation), the CLI
// reads the stream in any pieces with BatchStreamParser. Layout in docs/protocol.md.
//
// A record: u8 kind, u32 command index (from 0, in the batch), u32 length, then `length` bytes,
// integers little-endian. Kinds: 5 the command starts now (no bytes), 1 its stdout bytes, 2 its
// stderr bytes, 3 it ended (i32 wait status as waitpid gave it, u64 microseconds from the
// batch's start to the command's start, u64 its run time in microseconds), 4 it did not start
// (i32 errno, i32 the step that failed: 7 execve, 10 or 11 idle priority). The commands run in
// order: each one's records are its start, its output, then its end, and an end moves on to
// the next. So a stream cut short tells which command was running (started, not ended) from
// those that never began. It comes from a peer's process: anything else is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "result.h"

namespace vesta {

// The commands one batch may hold (the CLI sends far fewer), and bytes per output record.
inline constexpr size_t kMaxBatchCommands = 256;
inline constexpr uint32_t kMaxBatchRecordBytes = 1 << 20;
inline constexpr size_t kBatchHeaderBytes = 9;
inline constexpr uint32_t kBatchEndBytes = 20;
inline constexpr uint32_t kBatchNotStartedBytes = 8;

enum class BatchRecord : uint8_t { Stdout = 1, Stderr = 2, End = 3, NotStarted = 4, Started = 5 };

// The steps a NotStarted record names (as the single-command reaper numbers them).
inline constexpr int32_t kStartStepExec = 7, kStartStepIdle = 10;

inline void putLe(uint8_t* out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline void encodeBatchHeader(uint8_t (&out)[kBatchHeaderBytes], BatchRecord kind, uint32_t index,
                              uint32_t length) {
  out[0] = static_cast<uint8_t>(kind);
  putLe(out + 1, index, 4);
  putLe(out + 5, length, 4);
}

// The body of an End record.
inline void encodeBatchEnd(uint8_t (&out)[kBatchEndBytes], int32_t waitStatus,
                           uint64_t startOffsetUs, uint64_t runtimeUs) {
  putLe(out, static_cast<uint32_t>(waitStatus), 4);
  putLe(out + 4, startOffsetUs, 8);
  putLe(out + 12, runtimeUs, 8);
}

// What came of one command of the batch, once its stream says so.
struct BatchOutcome {
  std::string out, err;
  bool started = false;     // its Started record came
  bool ended = false;       // an End record came: waitStatus and the times are its
  bool notStarted = false;  // it could not start: step `startStep` failed with `execErrno`
  int32_t waitStatus = 0;
  int execErrno = 0;
  int32_t startStep = 0;
  uint64_t startOffsetUs = 0, runtimeUs = 0;
};

class BatchStreamParser {
 public:
  explicit BatchStreamParser(size_t commands) : outcomes_(commands) {}
  // Consumes bytes in any pieces; fails at the first malformed or out-of-order record, and
  // everything after it is ignored.
  Result<void> feed(std::span<const uint8_t> bytes);
  // The commands that ended (or failed to start) so far, in order: 0..finished()-1.
  size_t finished() const { return next_; }
  // Whether any command started (the batch ran at all).
  bool anyStarted() const { return !outcomes_.empty() && outcomes_[0].started; }
  // Between records: a stream that stops here ended cleanly.
  bool idle() const { return have_ == 0 && !inBody_; }
  std::vector<BatchOutcome>& outcomes() { return outcomes_; }
  const std::vector<BatchOutcome>& outcomes() const { return outcomes_; }
  const std::string& error() const { return error_; }

 private:
  Result<void> startRecord();
  void finishRecord();
  std::vector<BatchOutcome> outcomes_;
  size_t next_ = 0;  // the command whose records come now
  uint8_t header_[kBatchHeaderBytes]{};
  size_t have_ = 0;  // header bytes so far
  bool inBody_ = false;
  BatchRecord kind_ = BatchRecord::Stdout;
  uint32_t remaining_ = 0;
  std::string body_;  // an End or NotStarted body while it arrives
  std::string error_;
};

}  // namespace vesta
