// `vesta exec --retries N`: a command that failed (exited non-zero, or its runner was lost)
// runs again, at most N more times, each time on a node that has not failed it while there is
// one (then anywhere). This keeps a command's attempts and says which nodes to pass over next
// and how each attempt ended. Pure: the CLI submits, vestad's placement reads `avoid`.
#pragma once

#include <string>
#include <vector>

namespace vesta {

struct Attempt {
  std::string node;   // where it ran; empty when it was never placed
  int exitCode = 0;   // as vesta exec reports it: 0 ok, 255 it could not run, 128+N signal N
  std::string error;  // vestad's reason, when it gave one
};

class RetryPlan {
 public:
  explicit RetryPlan(unsigned retries = 0) : retries_(retries) {}

  // Records an attempt that ended; true when the command should run again: it failed and it
  // has retries left. A command never placed anywhere ("no node can run it") is not retried:
  // running it again cannot change that.
  bool ended(Attempt attempt);
  // The nodes that failed it so far, each once, in the order they failed.
  std::vector<std::string> avoid() const;
  // 1 for the first run, 2 for the first retry, ...
  unsigned nextNumber() const { return static_cast<unsigned>(attempts_.size()) + 1; }
  unsigned most() const { return retries_ + 1; }
  const std::vector<Attempt>& attempts() const { return attempts_; }
  // "attempt 1 on pi4: exit 1; attempt 2 on desk: ok", for the summary; empty when it ran once.
  std::string history() const;

 private:
  unsigned retries_;
  std::vector<Attempt> attempts_;
};

// One attempt as the summary words it: "on pi4: exit 1 (why)", "on desk: ok".
std::string describeAttempt(const Attempt& attempt);

}  // namespace vesta
