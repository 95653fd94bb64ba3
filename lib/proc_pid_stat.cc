#include "proc_pid_stat.h"

#include <charconv>
#include <vector>

namespace vesta {

std::optional<ProcPidStat> parseProcPidStat(std::string_view line) {
  size_t open = line.find('('), close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  ProcPidStat s;
  auto number = [](std::string_view text, auto& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
  };
  std::string_view pid = line.substr(0, open);
  while (!pid.empty() && pid.back() == ' ') pid.remove_suffix(1);
  if (!number(pid, s.pid)) return std::nullopt;
  // Fields after comm, numbered as proc(5) does: 3 state, 4 ppid, 5 pgrp, ... 14 utime,
  // 15 stime, 16 cutime, 17 cstime, 22 starttime, 24 rss, 41 policy.
  std::vector<std::string_view> f;
  std::string_view rest = line.substr(close + 1);
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(" \n");
    f.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  auto field = [&](size_t n) { return f[n - 3]; };
  if (f.size() < 24 - 2) return std::nullopt;
  int64_t cutime = 0, cstime = 0, rss = 0;
  if (!number(field(4), s.ppid) || !number(field(5), s.pgrp) || !number(field(14), s.utime) ||
      !number(field(15), s.stime) || !number(field(16), cutime) || !number(field(17), cstime) ||
      !number(field(22), s.startTicks) || !number(field(24), rss))
    return std::nullopt;
  // Signed in the kernel's format; never negative in practice.
  s.cutime = cutime > 0 ? static_cast<uint64_t>(cutime) : 0;
  s.cstime = cstime > 0 ? static_cast<uint64_t>(cstime) : 0;
  s.rssPages = rss > 0 ? static_cast<uint64_t>(rss) : 0;
  if (f.size() >= 41 - 2 && !number(field(41), s.policy)) return std::nullopt;
  return s;
}

}  // namespace vesta
