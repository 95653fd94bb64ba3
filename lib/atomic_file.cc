#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "unique_fd.h"

namespace vesta {
namespace {

constexpr const char* kMissing = "missing: ";

std::string errnoText() {
  return std::strerror(errno);
}

std::string dirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<void> writeAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write \"" + path + "\": " + errnoText());
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Result<void> writeFileAtomic(const std::string& path, const std::string& data, bool replace,
                             unsigned mode) {
  std::random_device rd;
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return fail("cannot create \"" + tmp + "\": " + errnoText());
  auto written = writeAll(fd.get(), data, tmp);
  bool synced = written && ::fsync(fd.get()) == 0;
  std::string syncError = synced ? "" : errnoText();
  fd.reset();
  if (!written || !synced) {
    ::unlink(tmp.c_str());
    return fail(written ? "cannot fsync \"" + tmp + "\": " + syncError : written.error());
  }
  int rc = replace ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str());
  int saved = errno;
  if (!replace || rc != 0) ::unlink(tmp.c_str());
  if (rc != 0) return fail("cannot put \"" + path + "\" in place: " + std::strerror(saved));
  if (UniqueFd dir(::open(dirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dir)
    ::fsync(dir.get());
  return {};
}

Result<std::string> readPrivateFile(const std::string& path, size_t maxBytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever. It does
  // not change how a regular file reads.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) return fail(std::string(kMissing) + path);
    return fail("cannot open \"" + path + "\": " + errnoText());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    const char* kind = S_ISFIFO(st.st_mode)   ? "a FIFO"
                       : S_ISDIR(st.st_mode)  ? "a directory"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    return fail("\"" + path + "\" is " + kind +
                "; expected a regular file: point it at a plain file, or move this away");
  }
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail("\"" + path + "\" is readable by others (mode " + mode +
                "); it holds a secret: run chmod 600 \"" + path + "\"");
  }
  if (static_cast<size_t>(st.st_size) > maxBytes) {
    return fail("\"" + path + "\" is larger than " + std::to_string(maxBytes) +
                " bytes; it is not a file vestad wrote");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  return text;
}

bool isMissingFileError(const std::string& error) {
  return error.rfind(kMissing, 0) == 0;
}

Result<void> makePrivateDirs(const std::string& dir) {
  if (dir.empty()) return fail("state dir: empty path");
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      return fail("cannot create directory \"" + part + "\": " + errnoText());
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail("\"" + dir + "\" is not a directory");
  // The identity key and the ledger live here: in a directory anyone can write to, another user
  // could replace or remove them (a sticky bit stops removal, not a file planted first).
  if (st.st_mode & S_IWOTH) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    std::string fix = dir == "/" ? "/vesta" : dir + "/vesta";
    if (st.st_mode & S_ISVTX)
      return fail("\"" + dir + "\" is a shared directory (mode " + mode +
                  ", like /tmp); expected a directory of vestad's own: pass -state-dir " + fix +
                  " (vestad creates it with mode 0700)");
    return fail("\"" + dir + "\" is writable by every user (mode " + mode +
                "); expected a private directory: run chmod 700 \"" + dir +
                "\" or pass -state-dir another directory");
  }
  return {};
}

}  // namespace vesta
