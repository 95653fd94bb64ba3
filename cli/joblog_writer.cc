#include "joblog_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vesta {
namespace {

Result<void> writeAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<std::string> readAll(int fd) {
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

Result<JobLogWriter> JobLogWriter::open(const std::string& path, bool resume,
                                        std::map<uint64_t, bool>& logged) {
  auto bad = [&](const std::string& why) { return fail("--joblog " + path + ": " + why); };
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd) return bad(std::strerror(errno));
  auto text = readAll(fd.get());
  if (!text) return bad(text.error());
  if (!text->empty()) {
    auto read = readJobLog(*text);
    if (!read) return bad(read.error());
    logged = std::move(*read);
    size_t keep = text->rfind('\n') + 1;  // npos + 1 == 0: not even the header is whole
    if (keep != text->size() && ::ftruncate(fd.get(), static_cast<off_t>(keep)) != 0)
      return bad(std::strerror(errno));
    text->resize(keep);
  }
  // O_APPEND only now: the reads above started at the beginning.
  if (::fcntl(fd.get(), F_SETFL, O_APPEND) != 0) return bad(std::strerror(errno));
  if (text->empty()) {
    if (auto ok = writeAll(fd.get(), jobLogHeader()); !ok) return bad(ok.error());
    if (::fsync(fd.get()) != 0) return bad(std::strerror(errno));
  }
  return JobLogWriter(path, std::move(fd));
}

Result<void> JobLogWriter::append(const JobLogEntry& entry) {
  if (auto ok = writeAll(fd_.get(), jobLogLine(entry)); !ok)
    return fail("--joblog " + path_ + ": " + ok.error());
  if (::fsync(fd_.get()) != 0) return fail("--joblog " + path_ + ": " + std::strerror(errno));
  return {};
}

}  // namespace vesta
