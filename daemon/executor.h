// Runs the built-in jobs off the loop: cpu ranges on a pool of worker threads pulling chunks,
// mem jobs on a thread of their own. Completions come back on the loop thread.
// Two pools: the owner's own chunks run on threads at nice 10; borrowed chunks (peers' work) on
// threads of their own at SCHED_IDLE with the idle I/O class, hashing within setBorrowedLimit()
// (the lending budget, in cores): its whole cores are workers that hash all the time, and its
// fraction one more worker that hashes that share of the time (lib/duty_cycle), so 1.5 cores
// lend 1.5, not 1. A worker over the limit stops between two pieces of a chunk (a tenth of a
// second) and waits, so a shrinking budget takes effect within one sample. Dedicated threads,
// because a thread cannot leave SCHED_IDLE again without privileges, and because their CPU clocks
// are then the borrowed CPU time.
#pragma once

#include <uv.h>

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cpujob.h"
#include "duty_cycle.h"
#include "uvpp.h"

namespace vesta {

// What a task ended with. `cancelled` wins over everything else.
struct TaskOutcome {
  bool ok = false;
  bool cancelled = false;
  Digest digest{};  // cpu tasks
  std::string error;
  // What the task really used, for the ledger: CPU time of its threads, and for mem tasks the
  // MiB held times the seconds they were held. Counted whether it finished or not.
  double coreSeconds = 0;
  double mibSeconds = 0;
};

// A task in flight, shared by the loop (progress, cancel) and the threads running it.
struct Task {
  std::atomic<uint64_t> done{0};  // units finished: iterations, or pages + held ms for mem
  uint64_t total = 0;
  std::atomic<bool> started{false};
  std::atomic<bool> cancel{false};
  std::atomic<uint64_t> cpuNs{0};  // CPU time of the threads that ran it
  double mibSeconds = 0;           // mem tasks, set when the memory is freed

  double progress() const {
    return total ? static_cast<double>(done.load()) / static_cast<double>(total) : 0;
  }
  // Asks the task to stop; it completes as cancelled within milliseconds.
  void requestCancel();

  // Internal to the executor.
  std::function<void(TaskOutcome)> onDone;
  std::mutex mutex;
  std::condition_variable wake;  // interrupts a mem job's hold
  TaskOutcome outcome;
  unsigned runnersLeft = 0;
  std::thread thread;  // mem jobs
};

class Executor {
 public:
  // `workers` threads for the owner's cpu work at nice `niceLevel` (owner first: jobs are batch
  // work), and `borrowedWorkers` (0: as many) for borrowed work at SCHED_IDLE: the offer's
  // cores rounded up, so its fraction has a thread.
  Executor(uv_loop_t* loop, unsigned workers, int niceLevel, unsigned borrowedWorkers = 0);
  ~Executor();

  unsigned workers() const { return static_cast<unsigned>(threads_.size()); }
  // Borrowed chunks hash within this many cores now (0: they wait; 1.5: one worker all the
  // time, another half of it). Any thread.
  void setBorrowedLimit(double cores);
  double borrowedLimit() const { return static_cast<double>(borrowedMillicores_.load()) / 1000; }
  // The workers that may hash now, the fractional one included.
  unsigned borrowedWorkers() const;
  // CPU time of borrowed work so far, in seconds: the borrowed workers' thread clocks and the
  // borrowed mem jobs' threads. Monotonic. Loop thread.
  double borrowedCpuSeconds() const;

  // XOR of the cpu job's iterations [first, end), on every worker of its pool (the borrowed
  // one when `borrowed`). `onDone` runs on the loop.
  std::shared_ptr<Task> runCpu(const JobSeed& seed, uint64_t first, uint64_t end, bool borrowed,
                               std::function<void(TaskOutcome)> onDone);

  // Allocates `mb` MiB, touches every page, holds it `holdMs` ms and frees it; at SCHED_IDLE
  // when `borrowed`.
  std::shared_ptr<Task> runMem(uint64_t mb, uint64_t holdMs, bool borrowed,
                               std::function<void(TaskOutcome)> onDone);

  // Cancels every task, joins every thread and closes the loop handle. Completions of
  // cancelled tasks are not delivered after this.
  void shutdown();

 private:
  // Each pool has its own lock: an owner's worker never waits on a lock a SCHED_IDLE thread
  // holds (it may get no CPU for a while when the machine is busy).
  struct Pool {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::function<void()>> queue;  // under mutex
  };
  void workerMain(Pool& pool, bool borrowed, size_t index);
  // A borrowed worker waits here until it may hash (under the limit); false: stop instead
  // (the task was cancelled, its range is used up, or the executor stops).
  enum class Slot { None, Whole, Share };
  Slot takeBorrowedSlot(const Task& task, const std::atomic<uint64_t>& next, uint64_t end);
  void releaseBorrowedSlot(Slot slot);
  // After a piece that took `cpuNs`: whether the worker must give its slot back now.
  bool mustYield(Slot slot, uint64_t cpuNs);
  void finish(const std::shared_ptr<Task>& task);  // any thread
  void deliver();                                  // loop thread

  std::vector<std::thread> threads_, borrowedThreads_;
  std::vector<clockid_t> borrowedClocks_;  // each borrowed worker's CPU clock
  Pool own_, borrowed_;
  bool stopping_ = false;  // under each pool's mutex
  std::atomic<bool> stoppingFlag_{false};
  // The loop thread only stores the limit and notifies, never taking a lock the borrowed
  // threads hold; they wait with a timeout, so a missed notification costs at most that.
  std::mutex slotMutex_;
  std::condition_variable slotFree_;
  std::atomic<uint32_t> borrowedMillicores_{0};
  unsigned borrowedBusy_ = 0;               // whole slots held, under slotMutex_
  bool shareHeld_ = false;                  // the fractional slot, under slotMutex_
  DutyCycle duty_;                          // under slotMutex_
  std::atomic<uint64_t> borrowedMemNs_{0};  // CPU time of ended borrowed mem threads

  std::mutex finishedMutex_;
  std::vector<std::shared_ptr<Task>> finished_;
  std::vector<std::shared_ptr<Task>> live_;  // loop thread only
  uv::Async wakeLoop_;
  int niceLevel_;
};

}  // namespace vesta
