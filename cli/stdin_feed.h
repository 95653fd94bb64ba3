// One job's stdin, written from vesta into a pipe whose read end vestad holds (Exec option
// "stdin"): a copy of vesta's own stdin (vesta exec), or one --pipe block. Nothing blocks and
// little is held: a copy reads the next piece only once the last one is in the pipe, so a slow
// command (whose runner grants credit only as it drains) slows the reading of stdin.
#pragma once

#include <poll.h>

#include <string>

#include "client.h"
#include "unique_fd.h"

namespace vesta {

class StdinFeed {
 public:
  // Makes the pipe; `readEnd` is for vestad.
  static tl::expected<StdinFeed, ClientError> open(UniqueFd& readEnd);
  // Copies `from` (vesta's stdin: a terminal, file or pipe, never made non-blocking: it may be
  // shared with the shell) until its end, then closes the pipe.
  void copyFrom(int from) { from_ = from; }
  // Writes `bytes`, then closes the pipe.
  void give(std::string bytes);
  // What to poll for now (fd -1: nothing), and what to do when it is ready.
  pollfd waitFor() const;
  void pump();
  // Everything written and the pipe closed, or the job no longer reads it (EPIPE).
  bool done() const { return !pipe_; }
  // Bytes held here, for the bound on vesta's memory.
  size_t held() const { return buf_.size() - offset_; }

 private:
  UniqueFd pipe_;  // our write end, non-blocking
  int from_ = -1;
  bool fromEnded_ = true;  // give(): nothing to read
  std::string buf_;
  size_t offset_ = 0;
};

}  // namespace vesta
