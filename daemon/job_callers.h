// Refuses D-Bus method calls that come from a peer's exec job. A peer's command runs as vestad's
// own user, whom the bus policy lets call every method: without this check a member's job could
// make this node stress its CPUs, cancel the owner's work, or submit work to the federation in
// the owner's name. Reads (properties, introspection, ListJobs, ListPeers) stay open to it, as
// to everyone.
//
// A caller is a peer's job when it runs as vestad's user and descends from vestad through
// anything but the spawner or the reaper of one of the owner's own jobs (a job cannot change its
// user: no new privileges). Other users' callers need no walk, which the unit's
// ProtectProc=invisible would not allow anyway. Every job's reaper is vestad's child and a
// subreaper, so nothing a job starts (double forks and setsid included) leaves that line; a process
// whose reaper was killed is vestad's own child until the sweep kills it, and is refused meanwhile.
//
// The caller's pid and user come from the bus daemon (GetConnectionCredentials), asked on the
// client's first method call and kept until it leaves: the daemon's one blocking bus call, since a
// method must not run before the answer, and sd-bus cannot hold a message back to dispatch later.
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace vesta {

// Is this call one that everyone may make (the bus policy's reads)?
bool isOpenCall(const char* interface, const char* member);

class JobCallers {
 public:
  // `ownChildren`: vestad's children that are not a peer's: the spawner and the reapers of the
  // owner's running jobs.
  explicit JobCallers(std::function<std::vector<pid_t>()> ownChildren)
      : ownChildren_(std::move(ownChildren)) {}

  // Installs the check as a filter on `bus`, run before every method handler.
  int install(sd_bus* bus, sd_bus_slot** slot);
  // A client left the bus: its pid is not needed any more.
  void forget(const std::string& uniqueName) { callers_.erase(uniqueName); }

  // Why `pid` may not call a method; empty when it may. `outside`: it is not below vestad at all,
  // and never will be (only a process below vestad is ever re-parented to it).
  std::string whyRefused(pid_t pid, bool* outside) const;

 private:
  static int filter(sd_bus_message* m, void* userdata, sd_bus_error* error);
  std::function<std::vector<pid_t>()> ownChildren_;
  struct Caller {
    pid_t pid;
    uid_t uid;
    uint64_t start;  // its start time (/proc/PID/stat), to tell it from a later owner of its pid
    bool outside;    // not below vestad: no walk needed again
  };
  std::map<std::string, Caller> callers_;  // by unique name: a connection's never change
};

}  // namespace vesta
