#include "process_groups.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "proc_pid_stat.h"
#include "unique_fd.h"

namespace vesta {

std::map<pid_t, GroupUsage> readProcessGroups(const std::set<pid_t>& groups) {
  std::map<pid_t, GroupUsage> out;
  if (groups.empty()) return out;
  static const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::string path = std::string("/proc/") + e->d_name + "/stat";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;  // it just ended
    char buf[1024];
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) continue;
    auto s = parseProcPidStat(std::string_view(buf, static_cast<size_t>(n)));
    if (!s || !groups.count(static_cast<pid_t>(s->pgrp))) continue;
    GroupUsage& g = out[static_cast<pid_t>(s->pgrp)];
    g.cpuSeconds += static_cast<double>(s->allTicks()) / tick;
    g.rssBytes += s->rssPages * page;
  }
  ::closedir(dir);
  return out;
}

}  // namespace vesta
