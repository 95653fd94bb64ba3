// Borrowed work yields to the owner's at once: SCHED_IDLE (the scheduler runs it only when
// nothing else wants the CPU) and the idle I/O class (the disk only when nobody else uses it).
// Both are allowed without privileges in that direction; a system call filter may still block
// them, so each call's failure is reported, never dropped.
#pragma once

#include <sys/types.h>

#include <string>

namespace vesta {

// Puts thread `tid` (0: the calling thread) into SCHED_IDLE and IOPRIO_CLASS_IDLE. Returns 0, or
// the step that failed with errno set (1: sched_setscheduler, 2: ioprio_set). Only system calls,
// so a forked child may call it before execve.
int makeIdle(pid_t tid);
// The text for makeIdle's failed step and errno, with the usual cause and fix.
std::string idleFailure(int step, int error);

// Calls makeIdle for the calling thread and logs a failure once per process (journald): the
// work still runs, niced, since failing the owner's peers' chunks helps nobody.
void makeThisThreadIdleOrLog(const char* what);

}  // namespace vesta
