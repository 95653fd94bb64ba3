#include "joblog.h"

#include <charconv>
#include <cstdio>

namespace vesta {
namespace {

constexpr std::string_view kHeader =
    "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand";

std::vector<std::string_view> splitTabs(std::string_view line, size_t most) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < most) {
    auto tab = line.find('\t');
    if (tab == std::string_view::npos) break;
    out.push_back(line.substr(0, tab));
    line.remove_prefix(tab + 1);
  }
  out.push_back(line);
  return out;
}

bool parseInt(std::string_view s, long long& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

std::string jobLogHeader() {
  return std::string(kHeader) + "\n";
}

std::string shellQuote(const std::string& word) {
  bool plain = !word.empty() && word.find_first_not_of(
                                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                    "OPQRSTUVWXYZ0123456789@%+=:,./-_") == std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
  return out + "'";
}

std::string jobLogLine(const JobLogEntry& e) {
  char times[64];
  // parallel's own widths: the start with milliseconds, the runtime right-aligned in 10.
  std::snprintf(times, sizeof times, "%.3f\t%10.3f", e.startSeconds, e.runtimeSeconds);
  std::string command;
  for (auto& w : e.command) command += (command.empty() ? "" : " ") + shellQuote(w);
  // A tab or newline in the command would break the columns: a shell-quoted word keeps them,
  // but the log is line-based, so they are written as spaces.
  for (char& c : command)
    if (c == '\n' || c == '\t') c = ' ';
  return std::to_string(e.seq) + "\t" + (e.host.empty() ? ":" : e.host) + "\t" + times + "\t" +
         std::to_string(e.sent) + "\t" + std::to_string(e.received) + "\t" +
         std::to_string(e.exitStatus) + "\t" + std::to_string(e.signal) + "\t" + command + "\n";
}

Result<std::map<uint64_t, bool>> readJobLog(std::string_view text) {
  std::map<uint64_t, bool> out;
  size_t lineNo = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    bool complete = nl != std::string_view::npos;
    std::string_view line = text.substr(0, complete ? nl : text.size());
    text.remove_prefix(complete ? nl + 1 : text.size());
    ++lineNo;
    if (lineNo == 1) {
      if (line != kHeader)
        return fail(
            "joblog line 1: expected parallel's header \"Seq\\tHost\\t...\\tCommand\"; "
            "is this a job log? (give a new file to start a new log)");
      continue;
    }
    if (!complete) break;  // cut short as it was written: that job runs again
    auto cols = splitTabs(line, 9);
    long long seq = 0, exitval = 0, signal = 0;
    if (cols.size() != 9 || !parseInt(cols[0], seq) || seq < 1 || !parseInt(cols[6], exitval) ||
        !parseInt(cols[7], signal))
      return fail("joblog line " + std::to_string(lineNo) +
                  ": expected 9 tab-separated columns with a Seq, Exitval and Signal number");
    bool ok = exitval == 0 && signal == 0;
    // A job run again after --resume-failed has a later line: the last one says how it ended.
    out[static_cast<uint64_t>(seq)] = ok;
  }
  return out;
}

bool skipOnResume(const std::map<uint64_t, bool>& log, uint64_t seq, ResumeMode mode) {
  auto it = log.find(seq);
  if (it == log.end()) return false;
  return mode == ResumeMode::Resume || it->second;
}

}  // namespace vesta
