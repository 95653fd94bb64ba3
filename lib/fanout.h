// GNU-parallel-style placeholders for `vesta exec --each`: one command per argument.
// {} the argument, {.} without its extension, {/} its basename, {//} its directory,
// {/.} basename without extension, {#} the job's number (from 1). Pure.
#pragma once

#include <string>
#include <vector>

#include "result.h"

namespace vesta {

// One word with its placeholders replaced; `used` is set when it had any.
std::string expandPlaceholders(const std::string& word, const std::string& arg, size_t seq,
                               bool* used = nullptr);

// The command for one argument: every word expanded; when no word holds a placeholder, the
// argument is appended at the end (as parallel does).
std::vector<std::string> expandCommand(const std::vector<std::string>& command,
                                       const std::string& arg, size_t seq);

// The words after `--`, GNU parallel's way: `CMD... ::: ARG...` gives the arguments inline
// (every word after ":::" is one, dashes included), `CMD... :::: FILE` reads them from FILE,
// one per line. Without either, `args` and `argFile` stay empty. One group only: several
// (parallel's combinations) are an error that says so.
struct CommandWithArgs {
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string argFile;
  bool inlineArgs = false;  // ":::" was given (perhaps with no word after it)
};
Result<CommandWithArgs> splitCommandArgs(const std::vector<std::string>& words);

}  // namespace vesta
