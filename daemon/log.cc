#include "log.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
// The location sd_journal_sendv would add is this file's own; each entry names its caller's.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>
#include <vector>

namespace vesta::log {
namespace {

bool toJournal = false;
std::string node = "vestad";

// $JOURNAL_STREAM holds "device:inode" of the journal socket systemd gave us as stderr; only
// when stderr still is that socket do we talk to journald directly.
bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void write(int priority, const char* label, const std::string& message, Fields fields,
           const char* file, int codeLine) {
  if (toJournal) {
    std::vector<std::string> lines;
    lines.push_back("MESSAGE=" + message);
    lines.push_back("CODE_FILE=" + sourceRelative(file));
    lines.push_back("CODE_LINE=" + std::to_string(codeLine));
    lines.push_back("PRIORITY=" + std::to_string(priority));
    lines.push_back("SYSLOG_IDENTIFIER=vestad");
    lines.push_back("VESTA_NODE=" + node);
    for (auto& [key, value] : fields) lines.push_back(std::string(key) + "=" + value);
    std::vector<iovec> iov;
    for (auto& l : lines) iov.push_back({l.data(), l.size()});
    sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    return;
  }
  std::string line = message;
  for (auto& [key, value] : fields) line += std::string(" ") + key + "=" + value;
  char stamp[16];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::localtime(&now));
  std::fprintf(stderr, "%s vestad[%s] %s%s\n", stamp, node.c_str(), label, line.c_str());
}

}  // namespace

void init(const std::string& nodeName) {
  node = nodeName;
  toJournal = stderrIsJournal();
}

void info(const std::string& m, Fields f, const char* file, int line) {
  write(LOG_INFO, "", m, f, file, line);
}
void notice(const std::string& m, Fields f, const char* file, int line) {
  write(LOG_NOTICE, "", m, f, file, line);
}
void warning(const std::string& m, Fields f, const char* file, int line) {
  write(LOG_WARNING, "warning: ", m, f, file, line);
}
void error(const std::string& m, Fields f, const char* file, int line) {
  write(LOG_ERR, "error: ", m, f, file, line);
}

std::string sourceRelative(const char* file) {
  std::string_view f = file ? file : "";
  while (f.substr(0, 3) == "../") f.remove_prefix(3);
  while (f.substr(0, 2) == "./") f.remove_prefix(2);
  return std::string(f);
}

}  // namespace vesta::log
