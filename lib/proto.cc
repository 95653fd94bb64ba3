#include "proto.h"

namespace vesta {
namespace {

constexpr uint64_t kMaxIterations = kMaxCpuMillions * kIterationsPerUnit;

Result<void> finished(const ByteReader& r, const char* what) {
  if (!r.ok()) return fail(std::string(what) + ": payload too short");
  if (!r.done()) return fail(std::string(what) + ": trailing bytes");
  return {};
}

Result<void> checkRange(uint64_t first, uint64_t end, const char* what) {
  if (first >= end || end > kMaxIterations)
    return fail(std::string(what) + ": range [" + std::to_string(first) + ", " +
                std::to_string(end) + ") is empty or beyond the largest job");
  return {};
}

}  // namespace

Bytes encode(const OfferMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u8(m.kind == JobKind::Cpu ? 0 : 1);
  w.bytes(m.seed);
  w.u64(m.iterations);
  w.u64(m.mem_mb);
  w.u64(m.hold_ms);
  return std::move(w.data());
}

Result<OfferMsg> decodeOffer(std::span<const uint8_t> p) {
  ByteReader r(p);
  OfferMsg m;
  m.job = r.u64();
  uint8_t kind = r.u8();
  r.bytes(m.seed);
  m.iterations = r.u64();
  m.mem_mb = r.u64();
  m.hold_ms = r.u64();
  if (auto ok = finished(r, "offer"); !ok) return fail(ok.error());
  if (kind > 1) return fail("offer: unknown job kind " + std::to_string(kind));
  m.kind = kind == 0 ? JobKind::Cpu : JobKind::Mem;
  if (m.kind == JobKind::Cpu && (m.iterations == 0 || m.iterations > kMaxIterations))
    return fail("offer: " + std::to_string(m.iterations) + " iterations is out of range");
  if (m.kind == JobKind::Mem)
    if (auto ok = checkMemArgs(m.mem_mb, m.hold_ms); !ok) return fail("offer: " + ok.error());
  return m;
}

Bytes encode(const AcceptMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u16(m.workers);
  return std::move(w.data());
}

Result<AcceptMsg> decodeAccept(std::span<const uint8_t> p) {
  ByteReader r(p);
  AcceptMsg m;
  m.job = r.u64();
  m.workers = r.u16();
  if (auto ok = finished(r, "accept"); !ok) return fail(ok.error());
  return m;
}

Bytes encode(const RefuseMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u8(static_cast<uint8_t>(m.code));
  w.shortString(m.reason);
  return std::move(w.data());
}

Result<RefuseMsg> decodeRefuse(std::span<const uint8_t> p) {
  ByteReader r(p);
  RefuseMsg m;
  m.job = r.u64();
  uint8_t code = r.u8();
  m.reason = r.shortString();
  if (auto ok = finished(r, "refuse"); !ok) return fail(ok.error());
  if (code > kMaxRefuseCode) return fail("refuse: unknown code " + std::to_string(code));
  m.code = static_cast<RefuseCode>(code);
  return m;
}

Bytes encode(const ReasonMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.shortString(m.reason);
  return std::move(w.data());
}

Result<ReasonMsg> decodeReason(std::span<const uint8_t> p) {
  ByteReader r(p);
  ReasonMsg m;
  m.job = r.u64();
  m.reason = r.shortString();
  if (auto ok = finished(r, "reason"); !ok) return fail(ok.error());
  return m;
}

Bytes encode(const ChunkMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u64(m.first);
  w.u64(m.end);
  return std::move(w.data());
}

Result<ChunkMsg> decodeChunk(std::span<const uint8_t> p) {
  ByteReader r(p);
  ChunkMsg m;
  m.job = r.u64();
  m.first = r.u64();
  m.end = r.u64();
  if (auto ok = finished(r, "chunk"); !ok) return fail(ok.error());
  if (auto ok = checkRange(m.first, m.end, "chunk"); !ok) return fail(ok.error());
  return m;
}

Bytes encode(const ChunkDoneMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u64(m.first);
  w.u64(m.end);
  w.bytes(m.digest);
  return std::move(w.data());
}

Result<ChunkDoneMsg> decodeChunkDone(std::span<const uint8_t> p) {
  ByteReader r(p);
  ChunkDoneMsg m;
  m.job = r.u64();
  m.first = r.u64();
  m.end = r.u64();
  r.bytes(m.digest);
  if (auto ok = finished(r, "chunk done"); !ok) return fail(ok.error());
  if (auto ok = checkRange(m.first, m.end, "chunk done"); !ok) return fail(ok.error());
  return m;
}

Bytes encode(const ProgressMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u64(m.done);
  w.u64(m.total);
  return std::move(w.data());
}

Result<ProgressMsg> decodeProgress(std::span<const uint8_t> p) {
  ByteReader r(p);
  ProgressMsg m;
  m.job = r.u64();
  m.done = r.u64();
  m.total = r.u64();
  if (auto ok = finished(r, "progress"); !ok) return fail(ok.error());
  if (m.done > m.total) return fail("progress: done is more than total");
  return m;
}

Bytes encode(const JobDoneMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u8(m.ok ? 1 : 0);
  w.shortString(m.error);
  return std::move(w.data());
}

Result<JobDoneMsg> decodeJobDone(std::span<const uint8_t> p) {
  ByteReader r(p);
  JobDoneMsg m;
  m.job = r.u64();
  uint8_t ok = r.u8();
  m.error = r.shortString();
  if (auto f = finished(r, "job done"); !f) return fail(f.error());
  if (ok > 1) return fail("job done: status " + std::to_string(ok) + " is not 0 or 1");
  m.ok = ok == 1;
  return m;
}

Bytes encode(const UsageMsg& m) {
  ByteWriter w;
  w.u64(m.job);
  w.u64(m.cpu_us);
  w.u64(m.mib_ms);
  return std::move(w.data());
}

Result<UsageMsg> decodeUsage(std::span<const uint8_t> p) {
  ByteReader r(p);
  UsageMsg m;
  m.job = r.u64();
  m.cpu_us = r.u64();
  m.mib_ms = r.u64();
  if (auto f = finished(r, "usage"); !f) return fail(f.error());
  // A day of 1024 cores, or a TiB held for a day: anything more is a bug or a lie.
  if (m.cpu_us > 1024ull * 86400 * 1'000'000 || m.mib_ms > (1ull << 20) * 86400 * 1000)
    return fail("usage: more than any one task can use");
  return m;
}

}  // namespace vesta
