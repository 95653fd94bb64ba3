#include "job_callers.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bus.h"
#include "bus_util.h"
#include "lineage.h"
#include "proc_pid_stat.h"
#include "sysstat.h"

namespace vesta {
namespace {

std::optional<ProcLink> linkFromProc(pid_t pid) {
  auto text = readSysFile("", "/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto stat = parseProcPidStat(*text);
  if (!stat) return std::nullopt;
  return ProcLink{static_cast<pid_t>(stat->ppid), stat->startTicks};
}

// Does `pid` belong to another user? A process below vestad never does (a job gets no new
// privileges), and one the unit's ProtectProc=invisible hides from /proc is still signalable
// enough to tell: EPERM.
bool anotherUsers(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == EPERM;
}

bool startsWith(const char* s, const char* prefix) {
  return s && std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

}  // namespace

bool isOpenCall(const char* interface, const char* member) {
  if (!interface || !member) return false;
  std::string i = interface, m = member;
  if (i == "org.freedesktop.DBus.Introspectable" || i == "org.freedesktop.DBus.Peer") return true;
  if (i == "org.freedesktop.DBus.Properties") return m == "Get" || m == "GetAll";
  if (i == "org.freedesktop.DBus.ObjectManager") return m == "GetManagedObjects";
  if (i == kManagerInterface) return m == "ListJobs" || m == "ListPeers";
  return false;
}

std::string JobCallers::whyRefused(pid_t pid, bool* outside) const {
  *outside = false;
  // A parent that ends while we walk re-parents its children: walk again from the start.
  for (int attempt = 0; attempt < 3; ++attempt) {
    Lineage l = lineageFrom(pid, ::getpid(), linkFromProc);
    // An ancestor of another user's (sudo -u vesta, a cron job of the vesta user) means the
    // caller is not below vestad. Not the caller itself: its pid may have been reused since it
    // connected, by anyone's process.
    if (!l.known && l.lost > 0 && l.lost != pid && anotherUsers(l.lost))
      l = {true, std::nullopt, 0};
    if (!l.known) continue;
    if (!l.child) {  // not below vestad: the owner, or another local user
      *outside = true;
      return "";
    }
    auto own = ownChildren_();
    if (std::find(own.begin(), own.end(), *l.child) != own.end()) return "";
    return "a peer's exec job may not call vestad's methods (only read its properties and "
           "lists); submit work from the node it came from";
  }
  return "cannot tell whether the caller (pid " + std::to_string(pid) +
         ") is a peer's exec job: its parents changed while they were read; try again";
}

int JobCallers::install(sd_bus* bus, sd_bus_slot** slot) {
  return sd_bus_add_filter(bus, slot, filter, this);
}

int JobCallers::filter(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* self = static_cast<JobCallers*>(userdata);
  uint8_t type = 0;
  if (sd_bus_message_get_type(m, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL) return 0;
  if (!startsWith(sd_bus_message_get_path(m), kObjectPath)) return 0;
  if (isOpenCall(sd_bus_message_get_interface(m), sd_bus_message_get_member(m))) return 0;
  const char* sender = sd_bus_message_get_sender(m);
  Caller caller{-1, 0, 0, false};
  if (auto it = sender ? self->callers_.find(sender) : self->callers_.end();
      it != self->callers_.end()) {
    caller = it->second;
  } else {
    // From the bus (dbus-daemon's GetConnectionCredentials), once per client.
    sd_bus_creds* creds = nullptr;
    if (sd_bus_query_sender_creds(m, SD_BUS_CREDS_PID | SD_BUS_CREDS_EUID, &creds) >= 0 &&
        (sd_bus_creds_get_pid(creds, &caller.pid) < 0 ||
         sd_bus_creds_get_euid(creds, &caller.uid) < 0))
      caller.pid = -1;
    sd_bus_creds_unref(creds);
    if (auto link = caller.pid > 0 ? linkFromProc(caller.pid) : std::nullopt) {
      caller.start = link->start;
    } else if (caller.uid == ::geteuid()) {
      caller.pid = -1;  // ours, yet gone or hidden: nothing it says can be checked
    }
    if (caller.pid > 0 && sender) self->callers_[sender] = caller;
  }
  // The process that connected must still be the one with that pid: one that ended lets
  // another take its pid, which must not speak for the connection it left behind.
  auto now = caller.pid > 0 ? linkFromProc(caller.pid) : std::nullopt;
  if (caller.pid > 0 && caller.uid == ::geteuid() && (!now || now->start != caller.start)) {
    sd_bus_reply_method_errorf(m, kErrorRefused,
                               "the process that opened this connection to vestad (pid %d) has "
                               "ended; connect again",
                               static_cast<int>(caller.pid));
    return 1;
  }
  if (caller.pid > 0 && (caller.outside || caller.uid != ::geteuid())) return 0;  // not a job's
  bool outside = false;
  std::string why = caller.pid > 0 ? self->whyRefused(caller.pid, &outside)
                                   : std::string("cannot tell who is calling: the bus gave no pid");
  if (outside && sender) self->callers_[sender].outside = true;
  if (why.empty()) return 0;
  sd_bus_reply_method_errorf(m, kErrorRefused, "%s", why.c_str());
  return 1;  // handled: no method runs
}

}  // namespace vesta
