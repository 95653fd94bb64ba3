// Link frames after the handshake: each record is a 4-byte big-endian length, then that many
// bytes of AES-256-GCM ciphertext (with tag) under this direction's key, with the counter nonce
// (never repeated under a key) and the length bytes as associated data. Inside: protocol
// version, frame type, payload. Pure: bytes in, frames out.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>

#include <tl/expected.hpp>

#include "crypto.h"

namespace vesta {

inline constexpr uint8_t kLinkVersion = 1;
// The largest payload a frame may carry; a bigger announced length is refused before any
// allocation, so a peer cannot make us reserve memory by lying about a length.
inline constexpr size_t kMaxFramePayload = 1 << 20;

enum class FrameType : uint8_t {
  Hello = 1,  // identity proof: Ed25519 public key and signature over the handshake hash
  Ping = 2,   // keepalive and RTT: 8-byte sender timestamp
  Pong = 3,   // echoes a Ping's payload
  Bye = 4,    // clean close
  // Work between a job's coordinator (the node it was submitted on) and a runner; payloads in
  // lib/proto.h. Every type has one receiver (cpu and mem work, or exec work, on one side), so a
  // frame is routed by its type alone.
  Offer = 5,      // coordinator -> runner: will you take part in this job?
  Accept = 6,     // runner: yes, with this many workers
  Refuse = 7,     // runner: no, and why
  Chunk = 8,      // coordinator: run iterations [first, end) of a cpu job
  ChunkDone = 9,  // runner: the XOR of that range
  Progress = 10,  // runner: units done so far (mem jobs)
  JobDone = 11,   // runner: a mem job ended, or the runner gives up on a job
  Release = 12,   // coordinator: stop all work on this job (done, cancelled, or given elsewhere)
  Usage = 13,     // runner: what a piece of work used here, for both sides' ledgers
  // Exec jobs (payloads in lib/exec_proto.h; the last four in lib/proto.h).
  ExecPolicy = 14,    // either side: may the other run commands here, which ones (a re-announce;
                      // the Hello carries it first)
  ExecOffer = 15,     // coordinator: run this command, with these files
  ExecAccept = 16,    // runner: yes; send me these files I have not cached
  FileData = 17,      // coordinator: a piece of a shipped file
  Output = 18,        // runner: stdout, stderr or fetched files (--get) of a running command
  OutputCredit = 19,  // coordinator: I passed on this many bytes of output; send more
  ExecExit = 20,      // runner: the command ended (exit status, signal, timeout)
  ExecRelease = 21,   // coordinator: stop this command (cancelled, failed, or no answer in time)
  ExecRefuse = 22,    // runner: no, and why
  ExecUsage = 23,     // runner: what the command used here, for both sides' ledgers
  FileCredit = 24,    // runner: I stored this many bytes of your shipped files; send more
  ExecStdin = 25,     // coordinator: a piece of the command's stdin, or its end
  StdinCredit = 26,   // runner: I wrote this many bytes into the command's stdin; send more
};
inline constexpr uint8_t kMaxFrameType = 26;
bool knownFrameType(uint8_t type);

struct Frame {
  FrameType type = FrameType::Ping;
  Bytes payload;
  bool operator==(const Frame&) const = default;
};

enum class FrameError { Oversize, BadAuth, BadVersion, UnknownType, Exhausted };
const char* frameErrorName(FrameError error);

// Seals frames for one direction of one link.
class FrameSealer {
 public:
  explicit FrameSealer(const Key& key) : key_(key) {}
  tl::expected<Bytes, FrameError> seal(const Frame& frame);

 private:
  Key key_;
  uint64_t counter_ = 0;
};

// Opens the other direction's byte stream, in whatever pieces TCP delivers it.
class FrameOpener {
 public:
  explicit FrameOpener(const Key& key) : key_(key) {}
  // Takes more bytes; fails at the first bad record (the link must then be closed).
  tl::expected<void, FrameError> feed(std::span<const uint8_t> bytes);
  // The next complete frame, if any.
  std::optional<Frame> next();
  // Bytes held while waiting for the rest of a record (bounded by the record size cap).
  size_t buffered() const { return pending_.size(); }

 private:
  Key key_;
  uint64_t counter_ = 0;
  Bytes pending_;
  std::deque<Frame> ready_;
};

}  // namespace vesta
