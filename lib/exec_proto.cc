#include "exec_proto.h"

#include <algorithm>

#include "batch_stream.h"

namespace vesta {
namespace {

Result<void> finished(const ByteReader& r, const char* what) {
  if (!r.ok()) return fail(std::string(what) + ": payload too short or a field too long");
  if (!r.done()) return fail(std::string(what) + ": trailing bytes");
  return {};
}

}  // namespace

Bytes encode(const ExecPolicy& m) {
  ByteWriter w;
  w.u8(m.allow_exec);
  w.u8(m.allow_shipped);
  w.u32(m.slots);
  w.u16(static_cast<uint16_t>(std::min(m.allowlist.size(), kMaxAllowlist)));
  for (size_t i = 0; i < m.allowlist.size() && i < kMaxAllowlist; ++i)
    w.shortString(m.allowlist[i]);
  return std::move(w.data());
}

Result<ExecPolicy> decodeExecPolicy(std::span<const uint8_t> p) {
  ByteReader r(p);
  ExecPolicy m;
  uint8_t exec = r.u8(), shipped = r.u8();
  m.slots = r.u32();
  size_t n = r.u16();
  if (n > kMaxAllowlist) return fail("exec policy: " + std::to_string(n) + " allowlist entries");
  for (size_t i = 0; i < n && r.ok(); ++i) m.allowlist.push_back(r.shortString());
  if (auto ok = finished(r, "exec policy"); !ok) return fail(ok.error());
  if (exec > 1 || shipped > 1) return fail("exec policy: a flag is neither 0 nor 1");
  if (m.slots > 65536) return fail("exec policy: " + std::to_string(m.slots) + " slots");
  m.allow_exec = exec;
  m.allow_shipped = shipped;
  for (auto& e : m.allowlist)
    if (e.empty()) return fail("exec policy: an allowlist entry is empty");
  return m;
}

Bytes encode(const ExecOfferMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u16(static_cast<uint16_t>(m.argv.size()));
  for (auto& a : m.argv) w.blob(a);
  w.u64(m.timeout_ms);
  w.u64(m.mem_mb);
  w.u64(m.cpu_s);
  w.u16(static_cast<uint16_t>(m.files.size()));
  for (auto& f : m.files) {
    w.shortString(f.name);
    w.bytes(f.sha256);
    w.u64(f.size);
    w.u8(f.executable);
  }
  w.u16(static_cast<uint16_t>(m.gets.size()));
  for (auto& g : m.gets) w.shortString(g);
  w.u8(static_cast<uint8_t>(m.stdin_piped | (m.framed ? 2 : 0)));
  if (m.framed) {
    w.u16(static_cast<uint16_t>(m.batch.size()));
    for (auto& command : m.batch) {
      w.u16(static_cast<uint16_t>(command.size()));
      for (auto& a : command) w.blob(a);
    }
  }
  if (m.gpus) w.u8(m.gpus);
  return std::move(w.data());
}

Result<ExecOfferMsg> decodeExecOffer(std::span<const uint8_t> p) {
  ByteReader r(p);
  ExecOfferMsg m;
  m.job = r.u64();
  size_t argc = r.u16();
  if (argc == 0) return fail("exec offer: argv is empty");
  if (argc > kMaxArgs) return fail("exec offer: " + std::to_string(argc) + " arguments");
  size_t total = 0;
  for (size_t i = 0; i < argc && r.ok(); ++i) {
    m.argv.push_back(r.blob(kMaxArgvBytes));
    total += m.argv.back().size();
    if (m.argv.back().find('\0') != std::string::npos)
      return fail("exec offer: an argument holds a NUL byte");
  }
  if (total > kMaxArgvBytes) return fail("exec offer: the arguments are over 256 KiB");
  m.timeout_ms = r.u64();
  m.mem_mb = r.u64();
  m.cpu_s = r.u64();
  size_t files = r.u16();
  if (files > kMaxShippedFiles) return fail("exec offer: " + std::to_string(files) + " files");
  for (size_t i = 0; i < files && r.ok(); ++i) {
    ShippedFile f;
    f.name = r.shortString();
    r.bytes(f.sha256);
    f.size = r.u64();
    uint8_t x = r.u8();
    if (x > 1) return fail("exec offer: a file's executable flag is neither 0 nor 1");
    f.executable = x;
    if (r.ok())
      if (auto ok = checkFileName(f.name); !ok) return fail("exec offer: " + ok.error());
    m.files.push_back(std::move(f));
  }
  size_t gets = r.u16();
  if (gets > kMaxGetPatterns) return fail("exec offer: " + std::to_string(gets) + " patterns");
  for (size_t i = 0; i < gets && r.ok(); ++i) {
    m.gets.push_back(r.shortString());
    if (r.ok())
      if (auto ok = checkGetPattern(m.gets.back()); !ok) return fail("exec offer: " + ok.error());
  }
  uint8_t flags = r.u8();
  if (r.ok() && (flags & 2)) {
    m.framed = true;
    size_t commands = r.u16();
    if (commands + 1 > kMaxBatchCommands)
      return fail("exec offer: a batch of " + std::to_string(commands + 1) + " commands (at most " +
                  std::to_string(kMaxBatchCommands) + ")");
    size_t words = m.argv.size();
    for (size_t c = 0; c < commands && r.ok(); ++c) {
      std::vector<std::string> argv;
      size_t n = r.u16();
      if (n == 0 || n > kMaxArgs)
        return fail("exec offer: a batch command of " + std::to_string(n) + " arguments");
      words += n;
      if (words > kMaxArgs)
        return fail("exec offer: a batch of more than " + std::to_string(kMaxArgs) +
                    " arguments in all");
      for (size_t i = 0; i < n && r.ok(); ++i) {
        argv.push_back(r.blob(kMaxArgvBytes));
        total += argv.back().size();
        if (argv.back().find('\0') != std::string::npos)
          return fail("exec offer: an argument holds a NUL byte");
      }
      if (r.ok() && argv[0] != m.argv[0])
        return fail("exec offer: the commands of a batch run one program, " + m.argv[0] + ", not " +
                    argv[0]);
      m.batch.push_back(std::move(argv));
    }
    if (total > kMaxArgvBytes) return fail("exec offer: the arguments are over 256 KiB");
    if (r.ok() && (!m.files.empty() || !m.gets.empty() || (flags & 1) || m.timeout_ms))
      return fail("exec offer: a batch has no files, --get, stdin or timeout");
  }
  uint8_t piped = flags & 1;
  if (flags > 3) return fail("exec offer: the flags byte is " + std::to_string(flags));
  if (r.ok() && !r.done()) {
    m.gpus = r.u8();
    if (m.gpus == 0 || m.gpus > kMaxGpusPerJob)
      return fail("exec offer: " + std::to_string(m.gpus) + " GPUs asked for");
    if (m.framed) return fail("exec offer: a batch holds no GPUs");
  }
  if (auto ok = finished(r, "exec offer"); !ok) return fail(ok.error());
  m.stdin_piped = piped;
  for (size_t i = 0; i < m.files.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (m.files[i].name == m.files[j].name)
        return fail("exec offer: the file name " + m.files[i].name + " is shipped twice");
  return m;
}

Bytes encode(const ExecAcceptMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u16(static_cast<uint16_t>(m.missing.size()));
  for (auto& d : m.missing) w.bytes(d);
  return std::move(w.data());
}

Result<ExecAcceptMsg> decodeExecAccept(std::span<const uint8_t> p) {
  ByteReader r(p);
  ExecAcceptMsg m;
  m.job = r.u64();
  size_t n = r.u16();
  if (n > kMaxShippedFiles) return fail("exec accept: " + std::to_string(n) + " missing files");
  m.missing.resize(n);
  for (auto& d : m.missing) r.bytes(d);
  if (auto ok = finished(r, "exec accept"); !ok) return fail(ok.error());
  return m;
}

Bytes encode(const FileDataMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.bytes(m.sha256);
  w.u64(m.offset);
  w.bytes(m.data);
  return std::move(w.data());
}

Result<FileDataMsg> decodeFileData(std::span<const uint8_t> p) {
  ByteReader r(p);
  FileDataMsg m;
  m.job = r.u64();
  r.bytes(m.sha256);
  m.offset = r.u64();
  m.data = r.rest();
  if (auto ok = finished(r, "file data"); !ok) return fail(ok.error());
  if (m.data.empty() || m.data.size() > kMaxDataPiece)
    return fail("file data: " + std::to_string(m.data.size()) + " bytes in one piece");
  return m;
}

Bytes encode(const OutputMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u8(static_cast<uint8_t>(m.stream));
  w.bytes(m.data);
  return std::move(w.data());
}

Result<OutputMsg> decodeOutput(std::span<const uint8_t> p) {
  ByteReader r(p);
  OutputMsg m;
  m.job = r.u64();
  uint8_t stream = r.u8();
  m.data = r.rest();
  if (auto ok = finished(r, "output"); !ok) return fail(ok.error());
  if (stream < 1 || stream > 4) return fail("output: unknown stream " + std::to_string(stream));
  m.stream = static_cast<OutputStream>(stream);
  if (m.data.empty() || m.data.size() > kMaxDataPiece)
    return fail("output: " + std::to_string(m.data.size()) + " bytes in one piece");
  return m;
}

Bytes encode(const CreditMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u8(m.for_output);
  w.u64(m.bytes);
  return std::move(w.data());
}

Result<CreditMsg> decodeCredit(std::span<const uint8_t> p) {
  ByteReader r(p);
  CreditMsg m;
  m.job = r.u64();
  uint8_t forOutput = r.u8();
  m.bytes = r.u64();
  if (auto ok = finished(r, "credit"); !ok) return fail(ok.error());
  if (forOutput > 1) return fail("credit: the direction flag is neither 0 nor 1");
  m.for_output = forOutput;
  if (m.bytes == 0 || m.bytes > kStreamWindow)
    return fail("credit: " + std::to_string(m.bytes) + " bytes is outside 1.." +
                std::to_string(kStreamWindow));
  return m;
}

Bytes encode(const ExecExitMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u32(static_cast<uint32_t>(m.status));
  w.u8(m.signal);
  w.u8(m.timed_out);
  w.shortString(m.error);
  return std::move(w.data());
}

Result<ExecExitMsg> decodeExecExit(std::span<const uint8_t> p) {
  ByteReader r(p);
  ExecExitMsg m;
  m.job = r.u64();
  m.status = static_cast<int32_t>(r.u32());
  m.signal = r.u8();
  uint8_t timedOut = r.u8();
  m.error = r.shortString();
  if (auto ok = finished(r, "exec exit"); !ok) return fail(ok.error());
  if (m.status < -1 || m.status > 255)
    return fail("exec exit: status " + std::to_string(m.status) + " is outside -1..255");
  if (m.signal > 64) return fail("exec exit: signal " + std::to_string(m.signal));
  if (timedOut > 1) return fail("exec exit: the timeout flag is neither 0 nor 1");
  m.timed_out = timedOut;
  return m;
}

Bytes encode(const StdinMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u8(m.eof);
  w.bytes(m.data);
  return std::move(w.data());
}

Result<StdinMsg> decodeStdin(std::span<const uint8_t> p) {
  ByteReader r(p);
  StdinMsg m;
  m.job = r.u64();
  uint8_t eof = r.u8();
  m.data = r.rest();
  if (auto ok = finished(r, "stdin"); !ok) return fail(ok.error());
  if (eof > 1) return fail("stdin: the end flag is neither 0 nor 1");
  m.eof = eof;
  if ((m.data.empty() && !m.eof) || m.data.size() > kMaxDataPiece)
    return fail("stdin: " + std::to_string(m.data.size()) + " bytes in one piece" +
                (m.eof ? "" : " without the end flag"));
  return m;
}

Bytes encode(const StdinCreditMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u64(m.bytes);
  w.u8(m.closed);
  return std::move(w.data());
}

Result<StdinCreditMsg> decodeStdinCredit(std::span<const uint8_t> p) {
  ByteReader r(p);
  StdinCreditMsg m;
  m.job = r.u64();
  m.bytes = r.u64();
  uint8_t closed = r.u8();
  if (auto ok = finished(r, "stdin credit"); !ok) return fail(ok.error());
  if (closed > 1) return fail("stdin credit: the closed flag is neither 0 nor 1");
  m.closed = closed;
  if (m.bytes > kStreamWindow || (m.bytes == 0 && !m.closed))
    return fail("stdin credit: " + std::to_string(m.bytes) + " bytes is outside 1.." +
                std::to_string(kStreamWindow));
  return m;
}

Bytes encodeFileRecordHeader(const FileRecordHeader& h) {
  ByteWriter w;
  w.u16(static_cast<uint16_t>(h.name.size()));
  w.bytes(std::span(reinterpret_cast<const uint8_t*>(h.name.data()), h.name.size()));
  w.u64(h.size);
  return std::move(w.data());
}

Result<void> FilesStreamParser::takeHeaderByte(uint8_t b, bool& complete) {
  header_.push_back(b);
  if (header_.size() < 2) return {};
  size_t nameLen = size_t{header_[0]} | size_t{header_[1]} << 8;
  if (nameLen == 0 || nameLen > 255)
    return fail("fetched files: a name of " + std::to_string(nameLen) + " bytes");
  if (header_.size() < 2 + nameLen + 8) return {};
  current_.name.assign(header_.begin() + 2, header_.begin() + 2 + static_cast<long>(nameLen));
  ByteReader sizeReader(std::span<const uint8_t>(header_).subspan(2 + nameLen));
  current_.size = sizeReader.u64();
  header_.clear();
  if (auto ok = checkFileName(current_.name); !ok) return fail("fetched files: " + ok.error());
  remaining_ = current_.size;
  complete = true;
  return {};
}

}  // namespace vesta
