#include "file_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "hex.h"

namespace vesta {

namespace fs = std::filesystem;

FileCache::FileCache(std::string dir, uint64_t maxBytes)
    : dir_(std::move(dir)), maxBytes_(maxBytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  ::chmod(dir_.c_str(), 0700);
  // Half-received files of an earlier run are useless now.
  for (auto& e : fs::directory_iterator(dir_, ec))
    if (e.path().filename().string().rfind("tmp-", 0) == 0) fs::remove(e.path(), ec);
}

std::string FileCache::pathOf(const Digest& d) const {
  return dir_ + "/" + toHex(d);
}

bool FileCache::has(const Digest& d) const {
  return sizeOf(d).has_value();
}

std::optional<uint64_t> FileCache::sizeOf(const Digest& d) const {
  struct stat st {};
  if (::stat(pathOf(d).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

Result<void> FileCache::copyTo(const Digest& d, const std::string& dest, bool executable) {
  UniqueFd in(::open(pathOf(d).c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return fail("cache: " + toHex(d).substr(0, 12) + ": " + std::strerror(errno));
  // A copy, never a link: the job may change its file, the cache's stays as it was hashed.
  UniqueFd out(
      ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, executable ? 0755 : 0644));
  if (!out) return fail(dest + ": " + std::strerror(errno));
  std::string error;
  for (;;) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = std::strerror(errno);
    if (n <= 0) break;
  }
  if (out.close() != 0 && error.empty()) error = std::strerror(errno);
  if (!error.empty()) return fail(dest + ": " + error);
  ::utimensat(AT_FDCWD, pathOf(d).c_str(), nullptr, 0);  // recently used
  return {};
}

Result<std::unique_ptr<FileCache::Receiver>> FileCache::receive(const Digest& d, uint64_t size) {
  auto r = std::make_unique<Receiver>();
  r->cache_ = this;
  r->digest_ = d;
  r->size_ = size;
  r->tempPath_ = dir_ + "/tmp-" + std::to_string(::getpid()) + "-" + std::to_string(nextTemp_++);
  r->fd_.reset(::open(r->tempPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!r->fd_) return fail("cache: " + r->tempPath_ + ": " + std::strerror(errno));
  return r;
}

FileCache::Receiver::~Receiver() {
  if (!tempPath_.empty()) ::unlink(tempPath_.c_str());
}

Result<void> FileCache::Receiver::append(uint64_t offset, std::span<const uint8_t> bytes) {
  if (offset != received_)
    return fail("file piece at offset " + std::to_string(offset) + ", expected " +
                std::to_string(received_));
  if (bytes.size() > size_ - received_)
    return fail("file longer than its announced " + std::to_string(size_) + " bytes");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::string("cache: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  hash_.update(bytes);
  received_ += bytes.size();
  return {};
}

Result<void> FileCache::Receiver::finish() {
  if (received_ != size_)
    return fail("file ended at " + std::to_string(received_) + " of " + std::to_string(size_) +
                " bytes");
  if (hash_.final() != digest_)
    return fail("a shipped file does not match its SHA-256 " + toHex(digest_).substr(0, 12));
  if (::fsync(fd_.get()) != 0 || fd_.close() != 0)
    return fail(std::string("cache: ") + std::strerror(errno));
  if (::rename(tempPath_.c_str(), cache_->pathOf(digest_).c_str()) != 0)
    return fail(std::string("cache: ") + std::strerror(errno));
  tempPath_.clear();
  return {};
}

void FileCache::trim() {
  struct Entry {
    fs::path path;
    int64_t mtime;
    uint64_t size;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir_, ec)) {
    struct stat st {};
    if (e.path().filename().string().rfind("tmp-", 0) == 0) continue;
    if (::stat(e.path().c_str(), &st) != 0) continue;
    entries.push_back(
        {e.path(), static_cast<int64_t>(st.st_mtime), static_cast<uint64_t>(st.st_size)});
    total += static_cast<uint64_t>(st.st_size);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.mtime < b.mtime; });
  for (auto& e : entries) {
    if (total <= maxBytes_) break;
    if (fs::remove(e.path, ec)) total -= e.size;
  }
}

}  // namespace vesta
