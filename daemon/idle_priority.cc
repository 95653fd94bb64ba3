#include "idle_priority.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "log.h"

namespace vesta {
namespace {

// linux/ioprio.h is not in every libc's headers; these are the kernel ABI's values.
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassIdle = 3;
constexpr int kIoprioClassShift = 13;

}  // namespace

int makeIdle(pid_t tid) {
  sched_param param{};
  param.sched_priority = 0;
  if (::sched_setscheduler(tid, SCHED_IDLE, &param) != 0) return 1;
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, tid, kIoprioClassIdle << kIoprioClassShift) != 0)
    return 2;
  return 0;
}

std::string idleFailure(int step, int error) {
  std::string call = step == 1 ? "sched_setscheduler(SCHED_IDLE)" : "ioprio_set(IOPRIO_CLASS_IDLE)";
  std::string text = call + ": " + std::strerror(error);
  if (error == EPERM)
    text +=
        " (a system call filter or RestrictRealtime-like policy blocks it: allow "
        "sched_setscheduler and ioprio_set in the unit's SystemCallFilter=)";
  return text;
}

void makeThisThreadIdleOrLog(const char* what) {
  auto tid = static_cast<pid_t>(::syscall(SYS_gettid));
  int step = makeIdle(tid);
  if (step == 0) return;
  int error = errno;
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    log::warning(std::string("cannot make ") + what + " idle priority: " +
                 idleFailure(step, error) + "; borrowed work runs at nice 10 only");
}

}  // namespace vesta
