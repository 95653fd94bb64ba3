#include "stdin_feed.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vesta {
namespace {

constexpr size_t kPiece = 64 * 1024;
constexpr int kExecFailed = 255;

}  // namespace

tl::expected<StdinFeed, ClientError> StdinFeed::open(UniqueFd& readEnd) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return tl::unexpected(ClientError{kExecFailed, std::string("pipe: ") + std::strerror(errno)});
  readEnd.reset(p[0]);
  StdinFeed feed;
  feed.pipe_.reset(p[1]);
  ::fcntl(p[1], F_SETFL, ::fcntl(p[1], F_GETFL) | O_NONBLOCK);
  feed.fromEnded_ = false;
  return feed;
}

void StdinFeed::give(std::string bytes) {
  buf_ = std::move(bytes);
  offset_ = 0;
  fromEnded_ = true;
  from_ = -1;
  if (buf_.empty()) pipe_.reset();
}

pollfd StdinFeed::waitFor() const {
  if (!pipe_) return {-1, 0, 0};
  if (offset_ < buf_.size()) return {pipe_.get(), POLLOUT, 0};
  if (from_ >= 0 && !fromEnded_) return {from_, POLLIN, 0};
  return {-1, 0, 0};
}

void StdinFeed::pump() {
  while (pipe_) {
    if (offset_ == buf_.size()) {
      if (fromEnded_) {
        pipe_.reset();  // the end: the command's stdin closes once vestad has sent the rest
        std::string().swap(buf_);  // a --pipe block is not held past its writing
        offset_ = 0;
        return;
      }
      if (from_ < 0) return;  // neither copyFrom() nor give() yet
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return;  // nothing to read yet; never block on a terminal
      buf_.resize(kPiece);
      ssize_t n = ::read(from_, buf_.data(), kPiece);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        buf_.clear();
        return;
      }
      buf_.resize(n > 0 ? static_cast<size_t>(n) : 0);
      offset_ = 0;
      if (n <= 0) fromEnded_ = true;  // end of file (or an error: the end all the same)
      continue;
    }
    ssize_t n = ::write(pipe_.get(), buf_.data() + offset_, buf_.size() - offset_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) {
      // EPIPE: vestad closed it (the command's stdin is gone, or the job ended): stop reading.
      pipe_.reset();
      buf_.clear();
      offset_ = 0;
      return;
    }
    offset_ += static_cast<size_t>(n);
  }
}

}  // namespace vesta
