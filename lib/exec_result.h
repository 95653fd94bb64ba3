// The Result text of an exec job that ran to its end: "exit N" when the command exited with N,
// "signal N" when signal N killed it. Clients read the signal from it (the job log's Signal
// column) without asking the job for more properties.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vesta {

struct ExecOutcome {
  int exitStatus = 0;  // as a shell reports it: N, or 128+N after signal N
  int signal = 0;      // the signal that killed it, or 0
};

std::string execResultText(const ExecOutcome& outcome);
// nullopt for any other Result (a cpu job's, an error's, an empty one).
std::optional<ExecOutcome> parseExecResult(std::string_view result);

}  // namespace vesta
