#include "job.h"

namespace vesta {

const char* jobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::Cpu:
      return "cpu";
    case JobKind::Mem:
      return "mem";
    case JobKind::Exec:
      return "exec";
  }
  return "?";
}

const char* jobStateName(JobState state) {
  switch (state) {
    case JobState::Queued:
      return "queued";
    case JobState::Running:
      return "running";
    case JobState::Paused:
      return "paused";
    case JobState::Done:
      return "done";
    case JobState::Failed:
      return "failed";
    case JobState::Cancelled:
      return "cancelled";
  }
  return "failed";
}

std::optional<JobState> parseJobState(const std::string& name) {
  for (JobState s : {JobState::Queued, JobState::Running, JobState::Paused, JobState::Done,
                     JobState::Failed, JobState::Cancelled})
    if (name == jobStateName(s)) return s;
  return std::nullopt;
}

bool isTerminal(JobState state) {
  return state == JobState::Done || state == JobState::Failed || state == JobState::Cancelled;
}

bool canTransition(JobState from, JobState to) {
  switch (from) {
    case JobState::Queued:
      return to == JobState::Running || to == JobState::Failed || to == JobState::Cancelled;
    case JobState::Running:
      return to == JobState::Paused || to == JobState::Done || to == JobState::Failed ||
             to == JobState::Cancelled;
    case JobState::Paused:
      return to == JobState::Running || to == JobState::Done || to == JobState::Failed ||
             to == JobState::Cancelled;
    default:
      return false;
  }
}

Result<void> checkCpuArgs(uint64_t millions) {
  if (millions < 1 || millions > kMaxCpuMillions)
    return fail("cpu: " + std::to_string(millions) +
                " million iterations is out of range; expected 1.." +
                std::to_string(kMaxCpuMillions));
  return {};
}

Result<void> checkMemArgs(uint64_t mb, uint64_t holdMs) {
  if (mb < 1 || mb > 1024 * 1024)
    return fail("mem: " + std::to_string(mb) + " MiB is out of range; expected 1..1048576");
  if (holdMs > kMaxHoldMs)
    return fail("mem: hold of " + std::to_string(holdMs) + " ms is out of range; expected 0.." +
                std::to_string(kMaxHoldMs));
  return {};
}

Result<uint64_t> parseJobId(const std::string& text) {
  auto bad = [&] {
    return fail(
        "job id \"" + text +
        "\" is not a job number (decimal digits, 1 to 18446744073709551615); see vesta jobs");
  };
  if (text.empty() || text.size() > 20) return bad();
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return bad();
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return bad();  // would wrap
    n = n * 10 + digit;
  }
  if (n == 0) return bad();
  return n;
}

}  // namespace vesta
