// What vestad and its spawner (daemon/spawner) say to each other: a SpawnSpec without its
// descriptors (they travel beside the request as SCM_RIGHTS), and what came of it. Both ends
// are the same vestad binary, so the format has no version; the reader still checks every
// length, so a short or broken request fails cleanly instead of starting half a command.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "result.h"
#include "spawn.h"

namespace vesta {

// The whole request after its four-byte length. Descriptors are not in it: stdin's presence is
// (`stdinFd >= 0`), so the reader knows whether two or three come with it.
std::vector<uint8_t> encodeSpawnRequest(const SpawnSpec& spec);
// The descriptors of the decoded spec are -1; the caller puts the received ones in.
Result<SpawnSpec> decodeSpawnRequest(std::span<const uint8_t> in, bool& withStdin);

// The reaper's pid when one was created (a failed start still has one, exited, for vestad to
// reap: it is vestad's child), and why the command did not start ("" when it did).
struct SpawnReply {
  pid_t pid = -1;
  std::string error;
  bool operator==(const SpawnReply&) const = default;
};
std::vector<uint8_t> encodeSpawnReply(const SpawnReply& reply);
Result<SpawnReply> decodeSpawnReply(std::span<const uint8_t> in);

// Requests longer than this are refused by both ends (argv and the environment of one
// command; the kernel's own ARG_MAX is far below it).
inline constexpr size_t kMaxSpawnRequestBytes = 64u << 20;

}  // namespace vesta
