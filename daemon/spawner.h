// The spawner: a small process forked from vestad once, at start, that creates every exec job's
// reaper (daemon/spawn). A fork of vestad itself for each job copied the page tables of a grown
// daemon and turned each of its next writes to the heap into a copy-on-write fault for as long as
// the reaper lived; a fork of the spawner, forked before the daemon grew, costs a fraction of that.
// It is forked before the key file, the node's identity or any session key is read, so neither it
// nor the reapers it makes hold those.
//
// The reaper is created with CLONE_PARENT: it is vestad's child, not the spawner's, so vestad
// still reaps it (wait4, with its resource usage), polls its pidfd, and its PR_SET_PDEATHSIG
// follows vestad. The spawner dies with vestad (PR_SET_PDEATHSIG) and when its socket closes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "result.h"
#include "spawn.h"
#include "spawn_wire.h"

namespace vesta::spawner {

// Forks the spawner now; nothing when it runs already. vestad calls it early in main, while it
// is one thread holding no secrets.
Result<void> start();

// Ends the spawner and reaps it. vestad calls it on its way out, so that its service's cgroup
// empties with the main process: a spawner still dying when systemd looks is reported as
// "remains running after unit stopped", and a container's systemd has then waited out the
// whole stop timeout.
void stop();

// Has the spawner create the job's reaper: sends `spec` and its descriptors, waits until the
// command has been exec'd or has failed to start. Starts the spawner first when none runs (a unit
// test, or one that died before seal(): a fork of this process then, with a notice). One caller
// at a time.
Result<SpawnReply> request(const SpawnSpec& spec);

// The spawner's pid, -1 when none runs: a child of vestad that is not a job's.
pid_t pid();

// vestad calls it once it has read its key file and identity: from then on a spawner that ended
// is not replaced by a fork of this process, whose copy a job could read through its reaper
// (ptrace within its Landlock domain), but exec jobs fail with a line saying to restart vestad.
void seal();

// What exec jobs may not read: vestad's state directory, its config and key files (`hidden`),
// with the jobs' scratch directories' root readable again (`reopened`). Set before the spawner
// starts (it is a fork: it sees what was set then); it builds that Landlock layer at its first
// job, and again when what it was built from has changed (daemon/read_layer). Nothing set: jobs
// may read all their user may.
void hideFromJobs(std::vector<std::string> hidden, std::vector<std::string> reopened);
const std::vector<std::string>& hiddenFromJobs();
const std::vector<std::string>& reopenedForJobs();

// The spawner's side (daemon/spawn.cc): creates the reaper as a child of `vestad` and starts the
// command in it; returns once the command has exec'd or failed.
SpawnReply startReaper(const SpawnSpec& spec, pid_t vestad);

}  // namespace vesta::spawner
