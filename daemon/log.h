// vestad's log: structured journald entries when stderr is the journal, plain lines otherwise.
// Only the daemon logs; lib/ returns errors and the daemon logs them once, where it handles them.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace vesta::log {

// Extra journald fields, e.g. {{"VESTA_JOB", "3"}}; on a terminal they are appended as key=value.
using Fields = std::initializer_list<std::pair<const char*, std::string>>;

// Call once at start: decides between journald and plain stderr, and names this node in lines.
void init(const std::string& nodeName);

// `file` and `line` default to the caller's (journald's CODE_FILE and CODE_LINE).
void info(const std::string& message, Fields fields = {}, const char* file = __builtin_FILE(),
          int line = __builtin_LINE());
void notice(const std::string& message, Fields fields = {}, const char* file = __builtin_FILE(),
            int line = __builtin_LINE());
void warning(const std::string& message, Fields fields = {}, const char* file = __builtin_FILE(),
             int line = __builtin_LINE());
void error(const std::string& message, Fields fields = {}, const char* file = __builtin_FILE(),
           int line = __builtin_LINE());

// A compiler's file name as a path from the source root: "../daemon/node.cc" (as meson builds
// from its build directory) becomes "daemon/node.cc".
std::string sourceRelative(const char* file);

}  // namespace vesta::log
