// Job vocabulary shared by the daemon, the CLI and (later) the wire protocol: kinds, states and
// the legal state transitions. Pure: no threads, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "result.h"

namespace vesta {

enum class JobKind { Cpu, Mem, Exec };
// Paused: an exec job its runner stopped (SIGSTOP) while that node's owner needs the cores;
// it runs again, or fails after max_pause_s there (the job's PauseReason says why).
enum class JobState { Queued, Running, Paused, Done, Failed, Cancelled };

const char* jobKindName(JobKind kind);
const char* jobStateName(JobState state);
std::optional<JobState> parseJobState(const std::string& name);

// Done, Failed and Cancelled are final.
bool isTerminal(JobState state);

// Queued -> Running|Failed|Cancelled, Running -> Paused|Done|Failed|Cancelled,
// Paused -> Running|Done|Failed|Cancelled; nothing leaves a final state, so a late completion
// cannot overwrite a cancellation.
bool canTransition(JobState from, JobState to);

// Limits on what one job may ask for; the error names the argument and the allowed range.
constexpr uint64_t kMaxCpuMillions = 1'000'000;
constexpr uint64_t kMaxHoldMs = 24ull * 3600 * 1000;
Result<void> checkCpuArgs(uint64_t millions);
Result<void> checkMemArgs(uint64_t mb, uint64_t holdMs);

// A job id as a caller typed it (D-Bus CancelJob, `vesta cancel`): decimal digits only, 1 or more,
// no sign or space, within uint64. strtoull alone would read "-1" as 18446744073709551615.
Result<uint64_t> parseJobId(const std::string& text);

}  // namespace vesta
