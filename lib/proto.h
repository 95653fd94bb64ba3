// Payloads of the work frames (FrameType::Offer .. Release) that a job's coordinator and its
// runners exchange over a link. Pure: structs in, bytes out, and back; a decoder refuses short,
// long or out-of-range input with a reason. Byte layouts are in docs/protocol.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "bytes.h"
#include "cpujob.h"
#include "crypto.h"
#include "job.h"
#include "result.h"

namespace vesta {

// Reasons and errors travel as short strings; longer ones are cut to this many bytes.
inline constexpr size_t kMaxWireText = 255;

// A job is named on the wire by its id on the coordinator; the link tells which coordinator.
struct OfferMsg {
  uint64_t job = 0;
  JobKind kind = JobKind::Cpu;
  JobSeed seed{};           // cpu
  uint64_t iterations = 0;  // cpu: the whole job's size (for the runner's flow display)
  uint64_t mem_mb = 0;      // mem
  uint64_t hold_ms = 0;     // mem
  bool operator==(const OfferMsg&) const = default;
};

struct AcceptMsg {
  uint64_t job = 0;
  uint16_t workers = 0;
  bool operator==(const AcceptMsg&) const = default;
};

// Why a runner declines an offer, for the coordinator's bookkeeping; the text is for people.
// 5..8 are the exec runner's: its consent (allow_exec, allow_shipped_exec, the state directory),
// its allowlist, a program it cannot find or was not shipped, and the disk budget of --put files.
enum class RefuseCode : uint8_t {
  Other = 0,
  Busy = 1,
  Power = 2,
  Memory = 3,
  Capped = 4,
  NotPermitted = 5,
  NotAllowlisted = 6,
  NoProgram = 7,
  NoDisk = 8,
};
inline constexpr uint8_t kMaxRefuseCode = 8;

struct RefuseMsg {
  uint64_t job = 0;
  RefuseCode code = RefuseCode::Other;
  std::string reason;
  bool operator==(const RefuseMsg&) const = default;
};

// Release (coordinator ends the runner's part) carries a reason; JobDone carries the outcome of
// a whole mem job or why a runner gives up.
struct ReasonMsg {
  uint64_t job = 0;
  std::string reason;
  bool operator==(const ReasonMsg&) const = default;
};

struct ChunkMsg {
  uint64_t job = 0;
  uint64_t first = 0, end = 0;
  bool operator==(const ChunkMsg&) const = default;
};

struct ChunkDoneMsg {
  uint64_t job = 0;
  uint64_t first = 0, end = 0;
  Digest digest{};
  bool operator==(const ChunkDoneMsg&) const = default;
};

struct ProgressMsg {
  uint64_t job = 0;
  uint64_t done = 0, total = 0;
  bool operator==(const ProgressMsg&) const = default;
};

struct JobDoneMsg {
  uint64_t job = 0;
  bool ok = false;
  std::string error;
  bool operator==(const JobDoneMsg&) const = default;
};

// What one task used on the runner, measured there (CPU time of its threads; MiB held x time),
// sent for every task however it ended, so both ledgers count the same work.
struct UsageMsg {
  uint64_t job = 0;
  uint64_t cpu_us = 0;  // microseconds of CPU time
  uint64_t mib_ms = 0;  // MiB x milliseconds
  bool operator==(const UsageMsg&) const = default;
};

Bytes encode(const OfferMsg& m);
Bytes encode(const UsageMsg& m);
Bytes encode(const AcceptMsg& m);
Bytes encode(const RefuseMsg& m);
Bytes encode(const ReasonMsg& m);
Bytes encode(const ChunkMsg& m);
Bytes encode(const ChunkDoneMsg& m);
Bytes encode(const ProgressMsg& m);
Bytes encode(const JobDoneMsg& m);

Result<OfferMsg> decodeOffer(std::span<const uint8_t> payload);
Result<AcceptMsg> decodeAccept(std::span<const uint8_t> payload);
Result<RefuseMsg> decodeRefuse(std::span<const uint8_t> payload);
Result<ReasonMsg> decodeReason(std::span<const uint8_t> payload);
Result<ChunkMsg> decodeChunk(std::span<const uint8_t> payload);
Result<ChunkDoneMsg> decodeChunkDone(std::span<const uint8_t> payload);
Result<ProgressMsg> decodeProgress(std::span<const uint8_t> payload);
Result<JobDoneMsg> decodeJobDone(std::span<const uint8_t> payload);
Result<UsageMsg> decodeUsage(std::span<const uint8_t> payload);

}  // namespace vesta
