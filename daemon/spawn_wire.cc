#include "spawn_wire.h"

#include "batch_stream.h"
#include "bytes.h"

namespace vesta {
namespace {

constexpr size_t kMaxStrings = 1u << 20;

void strings(ByteWriter& w, const std::vector<std::string>& list) {
  w.u32(static_cast<uint32_t>(list.size()));
  for (const auto& s : list) w.blob(s);
}

bool strings(ByteReader& r, std::vector<std::string>& list) {
  uint32_t n = r.u32();
  if (!r.ok() || n > kMaxStrings) return false;
  list.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) list.push_back(r.blob(kMaxSpawnRequestBytes));
  return r.ok();
}

}  // namespace

std::vector<uint8_t> encodeSpawnRequest(const SpawnSpec& spec) {
  ByteWriter w;
  w.blob(spec.program);
  strings(w, spec.argv);
  strings(w, spec.env);
  w.blob(spec.cwd);
  strings(w, spec.devices);
  w.u32(static_cast<uint32_t>(spec.nice));
  w.u8(spec.idle ? 1 : 0);
  w.u64(spec.memBytes);
  w.u64(spec.cpuSeconds);
  w.u64(spec.maxProcesses);
  w.u64(spec.maxOpenFiles);
  w.u8(spec.framed ? 1 : 0);
  w.u32(static_cast<uint32_t>(spec.batch.size()));
  for (const auto& command : spec.batch) strings(w, command);
  w.u8(spec.stdinFd >= 0 ? 1 : 0);
  return std::move(w.data());
}

Result<SpawnSpec> decodeSpawnRequest(std::span<const uint8_t> in, bool& withStdin) {
  ByteReader r(in);
  SpawnSpec spec;
  spec.program = r.blob(kMaxSpawnRequestBytes);
  bool lists = strings(r, spec.argv) && strings(r, spec.env);
  spec.cwd = r.blob(kMaxSpawnRequestBytes);
  lists = lists && strings(r, spec.devices);
  spec.nice = static_cast<int>(r.u32());
  uint8_t idle = r.u8();
  spec.memBytes = r.u64();
  spec.cpuSeconds = r.u64();
  spec.maxProcesses = r.u64();
  spec.maxOpenFiles = r.u64();
  uint8_t framed = r.u8();
  spec.framed = framed == 1;
  uint32_t batch = r.u32();
  lists = lists && batch + 1 <= kMaxBatchCommands && framed <= 1 && (spec.framed || batch == 0);
  for (uint32_t i = 0; i < batch && lists; ++i) {
    spec.batch.emplace_back();
    lists = strings(r, spec.batch.back()) && !spec.batch.back().empty();
  }
  uint8_t stdinFlag = r.u8();
  if (!lists || !r.done() || idle > 1 || stdinFlag > 1)
    return fail("spawner: a malformed request (" + std::to_string(in.size()) + " bytes)");
  spec.idle = idle == 1;
  spec.stdoutFd = spec.stderrFd = spec.stdinFd = -1;
  withStdin = stdinFlag == 1;
  return spec;
}

std::vector<uint8_t> encodeSpawnReply(const SpawnReply& reply) {
  ByteWriter w;
  w.u32(static_cast<uint32_t>(reply.pid));
  w.blob(reply.error);
  return std::move(w.data());
}

Result<SpawnReply> decodeSpawnReply(std::span<const uint8_t> in) {
  ByteReader r(in);
  SpawnReply reply;
  reply.pid = static_cast<pid_t>(r.u32());
  reply.error = r.blob(1 << 16);
  if (!r.done())
    return fail("spawner: a malformed reply (" + std::to_string(in.size()) + " bytes)");
  if (reply.pid <= 0 && reply.error.empty())
    return fail("spawner: a reply with neither a process nor an error");
  return reply;
}

}  // namespace vesta
