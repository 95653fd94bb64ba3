// Starts one exec job's process: its own process group, niced, with resource limits, an
// explicit environment, stdin from a pipe or /dev/null, stdout and stderr into the given pipes, no
// new privileges, and (where the kernel has Landlock) no writes outside its scratch directory.
// execve directly: no shell ever sees the arguments. The process is created by the spawner
// (daemon/spawner.h), not by a fork of vestad, and is vestad's child all the same.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "result.h"
#include "uvpp.h"

namespace vesta {

struct SpawnSpec {
  std::string program;            // resolved absolute path
  std::vector<std::string> argv;  // argv[0] as the submitter typed it
  std::vector<std::string> env;   // NAME=value, the whole environment
  std::string cwd;                // the scratch directory; also the only writable place
  // Device nodes it may also open for writing: the GPUs it holds (vesta exec --gpu), nothing
  // else of /dev but /dev/null. Each must exist.
  std::vector<std::string> devices;
  int nice = 0;
  bool idle = false;  // SCHED_IDLE and the idle I/O class (a peer's command); a failure fails it
  uint64_t memBytes = 0;      // RLIMIT_AS; 0 = unlimited
  uint64_t cpuSeconds = 0;    // RLIMIT_CPU; 0 = unlimited
  uint64_t maxProcesses = 0;  // RLIMIT_NPROC; 0 = unchanged
  uint64_t maxOpenFiles = 1024;
  int stdoutFd = -1, stderrFd = -1;  // write ends; the caller closes its copies afterwards
  int stdinFd = -1;                  // a read end, or -1 for /dev/null
  // A batch (lib/batch_stream.h): `argv`, then the commands in `batch`, each a whole argv of
  // `program`, one after another, each with fresh pipes the reaper reads; it writes their
  // output and ends as records to stdoutFd. stdin is /dev/null.
  bool framed = false;
  std::vector<std::vector<std::string>> batch;
};

// pid is the job's reaper, not the command: a child subreaper that runs the command as its
// child, and when the command ends kills everything the command left (setsid, double forks
// included), reaps it, and exits with the command's status (the same signal after a signal).
// SIGTERM to the process group asks the command to stop (the reaper passes it on to descendants
// that left the group); killJob() ends them all at once.
struct Spawned {
  pid_t pid = -1;  // the reaper; also the process group id
  int pidfd = -1;  // readable once the reaper has exited (close it after reaping)
};

// Starts the job through the spawner and returns once its command has exec'd. Fails (with
// errno's text) when the program could not be started; the child reports a failed execve back
// through a close-on-exec pipe, so the error is the real one.
Result<Spawned> spawnConfined(const SpawnSpec& spec);

// Kills every process of a job now (SIGCONT and SIGUSR1 to its reaper; SIGKILL would take the
// reaper alone and leave what escaped the process group running). Reap the reaper afterwards.
void killJob(pid_t pid);

// Stops a job gently, then surely: SIGTERM to its process group at once, so the command may
// clean up, and killJob() when `graceMs` have passed on the loop. Destroy it when the job has
// been reaped: the kill is then cancelled, so a pid the kernel gave to another process is never
// signalled.
class TermThenKill {
 public:
  static constexpr uint64_t kGraceMs = 2000;
  TermThenKill(uv_loop_t* loop, pid_t pid, uint64_t graceMs = kGraceMs);

 private:
  uv::Timer timer_;
};

// Makes vestad a child subreaper too: a job that kills its own reaper leaves its processes to
// vestad, not to init, where killStrays finds them.
void becomeSubreaper();

// Kills every child of vestad that is not one of `reapers` (the jobs' reapers still running or
// not yet reaped), with everything below it, and reaps those children. Returns how many
// processes it killed. Reads /proc: call it when a job may have left strays, not all the time.
size_t killStrays(const std::vector<pid_t>& reapers);

// The Landlock ABI version the kernel offers (0: none), checked once. Without it, a command can
// write wherever the vestad user can; the systemd unit's ProtectSystem still confines it there.
int landlockAbi();

// How exec jobs are confined here, for the owner: "Landlock ABI 3: writes only in the job's
// scratch directory, reads nothing of vestad's state, config or key; ...", or "NOT confined:
// ..." with the cause and its fix. Checked once (after spawner::hideFromJobs, in vestad).
const std::string& confinementSummary();
inline bool confined() {
  return landlockAbi() > 0;
}

}  // namespace vesta
