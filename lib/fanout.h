// GNU-parallel-style placeholders for `vesta exec --each`: one command per argument.
// {} the argument, {.} without its extension, {/} its basename, {//} its directory,
// {/.} basename without extension, {#} the job's number (from 1). Pure.
#pragma once

#include <string>
#include <vector>

namespace vesta {

// One word with its placeholders replaced; `used` is set when it had any.
std::string expandPlaceholders(const std::string& word, const std::string& arg, size_t seq,
                               bool* used = nullptr);

// The command for one argument: every word expanded; when no word holds a placeholder, the
// argument is appended at the end (as parallel does).
std::vector<std::string> expandCommand(const std::vector<std::string>& command,
                                       const std::string& arg, size_t seq);

}  // namespace vesta
