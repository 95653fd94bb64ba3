#include "stdin_relay.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace vesta {
namespace {

// Credit goes back in batches, as output credit does: a frame per written piece would double
// the frames on the link for nothing.
constexpr uint64_t kCreditEvery = kStreamWindow / 8;

void setNonBlocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

StdinSource::StdinSource(uv_loop_t* loop, uint64_t job, UniqueFd fd)
    : job_(job), fd_(std::move(fd)) {
  // vesta passes a pipe of its own (bus_exec checks): its flags are ours to change.
  setNonBlocking(fd_.get());
  poll_ = std::make_unique<uv::Poll>(loop, fd_.get());
}

StdinSource::~StdinSource() {
  close();
}

void StdinSource::close() {
  if (poll_) poll_->close();  // before its descriptor: a uv poll must not outlive its fd
  poll_.reset();
  fd_.reset();
  polling_ = false;
}

void StdinSource::start(Send send) {
  send_ = std::move(send);
  pump();
}

Result<void> StdinSource::credit(const StdinCreditMsg& m) {
  if (m.bytes > inFlight_)
    return fail("credited " + std::to_string(m.bytes) + " bytes of stdin with only " +
                std::to_string(inFlight_) + " in flight");
  inFlight_ -= m.bytes;
  if (m.closed) {
    close();
    return {};
  }
  pump();
  return {};
}

// Reads only while there is credit: with none, the pipe fills and vesta's copy waits.
void StdinSource::pump() {
  bool want = fd_ && send_ && !ended_ && inFlight_ < kStreamWindow;
  if (want == polling_) return;
  polling_ = want;
  if (!want) return poll_->stop();
  poll_->start(UV_READABLE | UV_DISCONNECT, [this](int, int) { readable(); });
}

void StdinSource::readable() {
  size_t want = static_cast<size_t>(std::min<uint64_t>(kMaxDataPiece, kStreamWindow - inFlight_));
  if (want == 0) return pump();
  Bytes piece(want);
  ssize_t n = ::read(fd_.get(), piece.data(), want);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    // End of vesta's stdin (or a broken pipe, which ends it as well): the command's closes.
    ended_ = true;
    close();
    send_(StdinMsg{job_, true, {}});
    return;
  }
  piece.resize(static_cast<size_t>(n));
  inFlight_ += static_cast<uint64_t>(n);
  send_(StdinMsg{job_, false, std::move(piece)});
  pump();
}

StdinSink::StdinSink(uv_loop_t* loop, uint64_t job, Credit credit)
    : loop_(loop), job_(job), credit_(std::move(credit)) {}

StdinSink::~StdinSink() {
  if (poll_) poll_->close();
  poll_.reset();
  fd_.reset();
}

Result<void> StdinSink::take(StdinMsg m) {
  if (eof_) return fail("sent stdin after its end");
  uint64_t n = m.data.size();
  if (n > kStreamWindow - outstanding_)
    return fail("sent " + std::to_string(n) + " bytes of stdin with " +
                std::to_string(kStreamWindow - outstanding_) + " of credit left");
  outstanding_ += n;
  eof_ = m.eof;
  // The command closed its stdin: what was in flight is dropped, uncredited (the coordinator
  // stopped sending when it heard).
  if (closed_) return {};
  if (n > 0) {
    held_ += n;
    queue_.push_back(std::move(m.data));
  }
  flush();
  return {};
}

void StdinSink::attach(UniqueFd fd) {
  fd_ = std::move(fd);
  setNonBlocking(fd_.get());
  poll_ = std::make_unique<uv::Poll>(loop_, fd_.get());
  flush();
}

void StdinSink::flush() {
  if (!fd_) return;  // not started yet (files arriving), or closed
  while (!queue_.empty()) {
    Bytes& front = queue_.front();
    ssize_t n = ::write(fd_.get(), front.data() + offset_, front.size() - offset_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) return closePipe(true);  // EPIPE: the command closed its stdin, or ended
    offset_ += static_cast<size_t>(n);
    held_ -= static_cast<uint64_t>(n);
    owed_ += static_cast<uint64_t>(n);
    if (offset_ == front.size()) {
      queue_.pop_front();
      offset_ = 0;
    }
  }
  if (queue_.empty() && eof_) return closePipe(false);
  creditBack(false);
  bool want = !queue_.empty();
  if (want == polling_) return;
  polling_ = want;
  if (!want) return poll_->stop();
  poll_->start(UV_WRITABLE | UV_DISCONNECT, [this](int, int) { flush(); });
}

void StdinSink::closePipe(bool commandClosedIt) {
  creditBack(true);
  if (poll_) poll_->close();
  poll_.reset();
  fd_.reset();
  polling_ = false;
  held_ = 0;
  queue_.clear();
  if (commandClosedIt && !eof_ && !closed_) credit_(StdinCreditMsg{job_, 0, true});
  closed_ = true;
}

void StdinSink::creditBack(bool force) {
  if (owed_ == 0 || (!force && owed_ < kCreditEvery && !queue_.empty())) return;
  credit_(StdinCreditMsg{job_, owed_, false});
  outstanding_ -= owed_;
  owed_ = 0;
}

}  // namespace vesta
