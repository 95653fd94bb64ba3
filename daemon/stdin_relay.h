// A command's stdin on its way from `vesta exec` to the command, under the same credit flow
// control as its output: at most kStreamWindow bytes are ever in flight between the submitting
// node and the runner, nothing is read from the submitter's pipe that cannot be sent at once,
// and the runner holds only what it granted credit for. So a command that reads slowly slows
// the reading of `vesta exec`'s stdin, and nobody's memory fills.
//
//   vesta --pipe--> StdinSource (submitting vestad) --ExecStdin--> StdinSink (runner) --pipe-->
//   command
//                                          <--StdinCredit--
//
// Loop thread only. Each belongs to one run and is freed with it (never in its own callbacks).
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>

#include "exec_proto.h"
#include "result.h"
#include "unique_fd.h"
#include "uvpp.h"

namespace vesta {

// The submitting node's end: reads the pipe `vesta exec` passed in (option "stdin") while the
// runner's credit lasts, and sends what it reads, then the end.
class StdinSource {
 public:
  using Send = std::function<void(StdinMsg)>;
  StdinSource(uv_loop_t* loop, uint64_t job, UniqueFd fd);  // fd: a pipe's read end
  ~StdinSource();
  // The runner accepted the command: start reading and sending through `send`.
  void start(Send send);
  // A StdinCredit from the runner. Fails (why) when it credits bytes that were never sent: a
  // runner is not trusted beyond what it was sent.
  Result<void> credit(const StdinCreditMsg& m);
  // Stop reading and close the pipe; `vesta exec` then sees EPIPE and stops copying.
  void close();

 private:
  void pump();
  void readable();

  uint64_t job_;
  UniqueFd fd_;
  std::unique_ptr<uv::Poll> poll_;
  Send send_;
  uint64_t inFlight_ = 0;  // sent, not yet credited
  bool polling_ = false, ended_ = false;
};

// The runner's end: takes the pieces the coordinator sends (never more than the credit granted),
// writes them into the command's stdin pipe as the command drains it, grants credit back for
// what was written, and closes the pipe after the end (the command sees EOF).
class StdinSink {
 public:
  using Credit = std::function<void(StdinCreditMsg)>;
  StdinSink(uv_loop_t* loop, uint64_t job, Credit credit);
  ~StdinSink();
  // A piece from the coordinator. Fails (why) when it exceeds the credit granted or comes after
  // the end; the caller ends the job.
  Result<void> take(StdinMsg m);
  // The command started: the write end of its stdin pipe (made non-blocking here).
  void attach(UniqueFd fd);
  // Queued bytes, for the bound the tests check.
  uint64_t held() const { return held_; }

 private:
  void flush();
  void closePipe(bool commandClosedIt);
  void creditBack(bool force);

  uv_loop_t* loop_;
  uint64_t job_;
  Credit credit_;
  UniqueFd fd_;
  std::unique_ptr<uv::Poll> poll_;
  std::deque<Bytes> queue_;
  size_t offset_ = 0;         // into queue_.front()
  uint64_t held_ = 0;         // queued, not yet written
  uint64_t outstanding_ = 0;  // received and not yet credited back: at most kStreamWindow
  uint64_t owed_ = 0;         // written, not yet credited
  bool eof_ = false, closed_ = false, polling_ = false;
};

}  // namespace vesta
