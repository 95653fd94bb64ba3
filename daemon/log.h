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

void info(const std::string& message, Fields fields = {});
void notice(const std::string& message, Fields fields = {});
void warning(const std::string& message, Fields fields = {});
void error(const std::string& message, Fields fields = {});

}  // namespace vesta::log
