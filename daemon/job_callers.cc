#include "job_callers.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "bus.h"
#include "bus_util.h"
#include "lineage.h"
#include "proc_pid_stat.h"
#include "sysstat.h"

namespace vesta {
namespace {

pid_t parentFromProc(pid_t pid) {
  auto text = readSysFile("", "/proc/" + std::to_string(pid) + "/stat");
  if (!text) return -1;
  auto stat = parseProcPidStat(*text);
  return stat ? static_cast<pid_t>(stat->ppid) : -1;
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
    Lineage l = lineageFrom(pid, ::getpid(), parentFromProc);
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
  Caller caller{-1, 0, false};
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
    if (caller.pid > 0 && sender) self->callers_[sender] = caller;
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
