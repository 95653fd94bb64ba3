// Payloads of the exec frames (FrameType::ExecPolicy .. ExecExit, ExecStdin, StdinCredit): a
// command, its shipped files, its stdin, its output and its end, between the coordinator (where
// `vesta exec` was typed) and the runner. Pure; decoders refuse short, long or out-of-range input
// with a reason. Layouts in docs/protocol.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bytes.h"
#include "cpujob.h"
#include "crypto.h"
#include "exec_policy.h"
#include "result.h"

namespace vesta {

// Caps that keep one frame well under kMaxFramePayload.
inline constexpr size_t kMaxArgs = 4096;
inline constexpr size_t kMaxArgvBytes = 256 * 1024;  // all arguments together
inline constexpr size_t kMaxShippedFiles = 256;
inline constexpr size_t kMaxGetPatterns = 64;
inline constexpr unsigned kMaxGpusPerJob = 16;  // vesta exec --gpu=N
inline constexpr size_t kMaxAllowlist = 256;
inline constexpr size_t kMaxDataPiece = 256 * 1024;  // FileData and Output bytes per frame
// Bytes of output (or of a shipped file) that may be in flight, unconsumed, per job and
// direction: the sender stops reading (the command blocks on its pipe) until credit returns.
inline constexpr uint64_t kStreamWindow = 1024 * 1024;

// State (4): not output but the command's state on its runner, outside the credit window: one
// byte, 1 paused (the owner needs the cores) or 0 running again, then why, in UTF-8.
enum class OutputStream : uint8_t { Stdout = 1, Stderr = 2, Files = 3, State = 4 };

struct ShippedFile {
  std::string name;  // its name in the scratch directory
  Digest sha256{};
  uint64_t size = 0;
  bool executable = false;
  bool operator==(const ShippedFile&) const = default;
};

struct ExecOfferMsg {
  uint64_t job = 0;
  std::vector<std::string> argv;
  uint64_t timeout_ms = 0;  // 0: none
  uint64_t mem_mb = 0;      // address-space limit asked for; 0: the runner's mem_offer_mb
  uint64_t cpu_s = 0;       // CPU-time limit asked for; 0: none
  std::vector<ShippedFile> files;
  std::vector<std::string> gets;  // --get patterns
  bool stdin_piped = false;       // ExecStdin frames follow; else the command's stdin is /dev/null
  uint8_t gpus = 0;               // --gpu=N; an optional byte after the stdin flag, absent when 0
  // A batch (lib/batch_stream.h): `argv` and the commands in `batch` after it, each a whole
  // argv with the same program as argv[0], run one after another; the job's stdout then
  // carries their records. Flagged by bit 1 of the stdin byte (a batch of `argv` alone has an
  // empty `batch`); never with files, gets, stdin, GPUs or a timeout.
  bool framed = false;
  std::vector<std::vector<std::string>> batch;
  bool operator==(const ExecOfferMsg&) const = default;
};

struct ExecAcceptMsg {
  uint64_t job = 0;
  std::vector<Digest> missing;  // shipped files not in the runner's cache: send these
  bool operator==(const ExecAcceptMsg&) const = default;
};

struct FileDataMsg {
  uint64_t job = 0;
  Digest sha256{};
  uint64_t offset = 0;
  Bytes data;
  bool operator==(const FileDataMsg&) const = default;
};

struct OutputMsg {
  uint64_t job = 0;
  OutputStream stream = OutputStream::Stdout;
  Bytes data;
  bool operator==(const OutputMsg&) const = default;
};

// OutputCredit (to the runner, for output the coordinator passed on: for_output) and FileCredit
// (to the coordinator, for shipped-file bytes the runner stored) share this payload.
struct CreditMsg {
  uint64_t job = 0;
  bool for_output = true;
  uint64_t bytes = 0;
  bool operator==(const CreditMsg&) const = default;
};

// ExecStdin (to the runner): the next piece of the command's stdin, never more than the
// runner's StdinCredit allows. `eof`: the submitter's stdin ended after these bytes, so the
// runner closes the command's stdin once they are written. Data is empty only with eof.
struct StdinMsg {
  uint64_t job = 0;
  bool eof = false;
  Bytes data;
  bool operator==(const StdinMsg&) const = default;
};

// StdinCredit (to the coordinator): this many bytes of stdin went into the command's pipe.
// `closed`: the command's stdin is gone (it closed it, or ended): send nothing more. Bytes is 0
// only with closed.
struct StdinCreditMsg {
  uint64_t job = 0;
  uint64_t bytes = 0;
  bool closed = false;
  bool operator==(const StdinCreditMsg&) const = default;
};

struct ExecExitMsg {
  uint64_t job = 0;
  int32_t status = 0;  // exit code 0..255, 128+N after signal N; -1: it never ran
  uint8_t signal = 0;  // the signal that ended it, or 0
  bool timed_out = false;
  std::string error;  // why it never ran, or how it ended abnormally
  bool operator==(const ExecExitMsg&) const = default;
};

Bytes encode(const ExecPolicy& m);
Bytes encode(const ExecOfferMsg& m);
Bytes encode(const ExecAcceptMsg& m);
Bytes encode(const FileDataMsg& m);
Bytes encode(const OutputMsg& m);
Bytes encode(const CreditMsg& m);
Bytes encode(const ExecExitMsg& m);
Bytes encode(const StdinMsg& m);
Bytes encode(const StdinCreditMsg& m);

Result<ExecPolicy> decodeExecPolicy(std::span<const uint8_t> payload);
Result<ExecOfferMsg> decodeExecOffer(std::span<const uint8_t> payload);
Result<ExecAcceptMsg> decodeExecAccept(std::span<const uint8_t> payload);
Result<FileDataMsg> decodeFileData(std::span<const uint8_t> payload);
Result<OutputMsg> decodeOutput(std::span<const uint8_t> payload);
Result<CreditMsg> decodeCredit(std::span<const uint8_t> payload);
Result<ExecExitMsg> decodeExecExit(std::span<const uint8_t> payload);
Result<StdinMsg> decodeStdin(std::span<const uint8_t> payload);
Result<StdinCreditMsg> decodeStdinCredit(std::span<const uint8_t> payload);

// The --get stream (OutputStream::Files) is a sequence of records: u16 name length, name, u64
// size, then size bytes. FilesStreamParser takes it in any pieces and hands out whole headers
// and data, refusing bad names and anything after a bad record.
struct FileRecordHeader {
  std::string name;
  uint64_t size = 0;
};
Bytes encodeFileRecordHeader(const FileRecordHeader& header);

class FilesStreamParser {
 public:
  struct Event {
    enum class Kind { Begin, Data, End } kind;
    FileRecordHeader header;          // Begin
    std::span<const uint8_t> data{};  // Data: points into the bytes given to feed()
  };
  // Consumes `bytes`, calling `on` for each event; fails at the first malformed record.
  template <typename On>
  Result<void> feed(std::span<const uint8_t> bytes, On on);
  bool idle() const { return remaining_ == 0 && header_.empty(); }

 private:
  Result<void> takeHeaderByte(uint8_t b, bool& complete);
  Bytes header_;
  FileRecordHeader current_;
  uint64_t remaining_ = 0;
  bool inFile_ = false;
};

template <typename On>
Result<void> FilesStreamParser::feed(std::span<const uint8_t> bytes, On on) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (inFile_) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size() - i));
      on(Event{Event::Kind::Data, {}, bytes.subspan(i, n)});
      i += n;
      remaining_ -= n;
      if (remaining_ == 0) {
        inFile_ = false;
        on(Event{Event::Kind::End, current_, {}});
      }
      continue;
    }
    bool complete = false;
    if (auto ok = takeHeaderByte(bytes[i++], complete); !ok) return ok;
    if (!complete) continue;
    on(Event{Event::Kind::Begin, current_, {}});
    if (remaining_ == 0)
      on(Event{Event::Kind::End, current_, {}});
    else
      inFile_ = true;
  }
  return {};
}

}  // namespace vesta
