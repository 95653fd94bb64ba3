// Which bus client submitted which exec job, so that its jobs end when it goes away: vestad
// matches every client's disconnection once (kClientGoneMatch), instead of an sd_bus_track per
// job, whose AddMatch and GetNameOwner were two round trips to the bus before each Exec reply.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vesta {

// NameOwnerChanged with no new owner: a name (a client's unique name among them) went away.
inline constexpr char kClientGoneMatch[] =
    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg2=''";

// The jobs of `submitters` (job id -> its submitter's unique name) that `name` submitted, in
// job order.
std::vector<uint64_t> submittedBy(const std::map<uint64_t, std::string>& submitters,
                                  const std::string& name);

}  // namespace vesta
