#include "executor.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "idle_priority.h"
#include "log.h"

namespace vesta {
namespace {

// Iterations a worker takes at a time: about a tenth of a second of hashing on a desktop core,
// so fast and slow workers end together and a cancel is noticed quickly.
constexpr uint64_t kChunk = 1 << 18;
constexpr size_t kPage = 4096;
// How often a borrowed worker waiting for a slot looks again for a cancel or a stop.
constexpr auto kSlotPoll = std::chrono::milliseconds(200);

// CPU time this thread has used: what a task costs, whatever else the machine does meanwhile.
uint64_t threadCpuNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t monotonicNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Lowers this thread's priority to `level` (never raises it: vestad may run nicer already). On
// Linux, nice applies per thread when given the thread id. A failure is logged once per process
// (a system call filter that blocks setpriority would otherwise run jobs at the daemon's
// priority unnoticed); the job still runs, since refusing the owner's own job helps nobody.
void niceThisThread(int level) {
  auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && current >= level) return;
  if (errno == 0 && ::setpriority(PRIO_PROCESS, tid, level) == 0) return;
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    log::warning("cannot nice job threads to " + std::to_string(level) + ": setpriority: " +
                 std::strerror(errno) + "; borrowed work runs at the daemon's priority");
}

}  // namespace

void Task::requestCancel() {
  cancel = true;
  std::lock_guard lock(mutex);
  wake.notify_all();
}

Executor::Executor(uv_loop_t* loop, unsigned workers, int niceLevel, unsigned borrowedWorkers)
    : wakeLoop_(loop, [this] { deliver(); }), niceLevel_(niceLevel) {
  unsigned n = std::max(1u, workers);
  unsigned nb = borrowedWorkers ? borrowedWorkers : n;
  borrowedMillicores_ = nb * 1000;  // until the first budget says otherwise (OwnerFirst)
  borrowedClocks_.resize(nb);
  for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this, i] { workerMain(own_, false, i); });
  // The clocks are read by borrowedCpuSeconds() before a worker could have set its own.
  for (unsigned i = 0; i < nb; ++i) {
    borrowedThreads_.emplace_back([this, i] { workerMain(borrowed_, true, i); });
    if (::pthread_getcpuclockid(borrowedThreads_.back().native_handle(), &borrowedClocks_[i]) != 0)
      borrowedClocks_[i] = -1;
  }
}

Executor::~Executor() {
  shutdown();
}

void Executor::workerMain(Pool& pool, bool borrowed, size_t) {
  ::pthread_setname_np(::pthread_self(), borrowed ? "vesta-borrowed" : "vesta-worker");
  niceThisThread(niceLevel_);
  if (borrowed) makeThisThreadIdleOrLog("borrowed chunk threads");
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock lock(pool.mutex);
      pool.ready.wait(lock, [&] { return stopping_ || !pool.queue.empty(); });
      if (stopping_ && pool.queue.empty()) return;
      work = std::move(pool.queue.front());
      pool.queue.pop_front();
    }
    work();
  }
}

void Executor::setBorrowedLimit(double cores) {
  double most = static_cast<double>(borrowedThreads_.size());
  borrowedMillicores_ = static_cast<uint32_t>(std::lround(std::clamp(cores, 0.0, most) * 1000));
  slotFree_.notify_all();
}

unsigned Executor::borrowedWorkers() const {
  uint32_t m = borrowedMillicores_.load();
  return m / 1000 + (m % 1000 ? 1 : 0);
}

Executor::Slot Executor::takeBorrowedSlot(const Task& task, const std::atomic<uint64_t>& next,
                                          uint64_t end) {
  std::unique_lock lock(slotMutex_);
  for (;;) {
    if (task.cancel || stoppingFlag_ || next.load() >= end) return Slot::None;
    uint32_t m = borrowedMillicores_.load();
    if (borrowedBusy_ < m / 1000) {
      ++borrowedBusy_;
      return Slot::Whole;
    }
    if (!shareHeld_ && duty_.mayRun(static_cast<double>(m % 1000) / 1000, monotonicNs())) {
      shareHeld_ = true;
      return Slot::Share;
    }
    slotFree_.wait_for(lock, kSlotPoll);
  }
}

void Executor::releaseBorrowedSlot(Slot slot) {
  {
    std::lock_guard lock(slotMutex_);
    if (slot == Slot::Whole) --borrowedBusy_;
    if (slot == Slot::Share) shareHeld_ = false;
  }
  // All: a worker waiting on its share's credit must also hear that its task's range is used
  // up (the task ends only when every runner has), not sleep out kSlotPoll first.
  slotFree_.notify_all();
}

bool Executor::mustYield(Slot slot, uint64_t cpuNs) {
  std::lock_guard lock(slotMutex_);
  uint32_t m = borrowedMillicores_.load();
  if (slot == Slot::Whole) return borrowedBusy_ > m / 1000;
  duty_.charge(cpuNs);
  // A whole slot free now (the budget grew) serves better than the share: take that instead.
  return borrowedBusy_ < m / 1000 ||
         !duty_.mayRun(static_cast<double>(m % 1000) / 1000, monotonicNs());
}

double Executor::borrowedCpuSeconds() const {
  uint64_t ns = borrowedMemNs_.load();
  for (clockid_t clock : borrowedClocks_) {
    timespec ts{};
    if (clock != -1 && ::clock_gettime(clock, &ts) == 0)
      ns += static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  }
  return static_cast<double>(ns) / 1e9;
}

std::shared_ptr<Task> Executor::runCpu(const JobSeed& seed, uint64_t first, uint64_t end,
                                       bool borrowed, std::function<void(TaskOutcome)> onDone) {
  auto task = std::make_shared<Task>();
  task->total = end - first;
  task->onDone = std::move(onDone);
  // One runner per thread of its pool.
  auto runners = static_cast<unsigned>((borrowed ? borrowedThreads_ : threads_).size());
  task->runnersLeft = runners;
  task->outcome.ok = true;
  live_.push_back(task);
  auto next = std::make_shared<std::atomic<uint64_t>>(first);
  Pool& pool = borrowed ? borrowed_ : own_;
  std::lock_guard lock(pool.mutex);
  for (unsigned i = 0; i < runners; ++i) {
    pool.queue.push_back([this, task, next, seed, end, borrowed] {
      task->started = true;
      uint64_t cpuStart = threadCpuNs();
      Digest acc{};
      bool ok = true;
      // A borrowed worker hashes only while it holds a slot, and gives it back between two
      // pieces when the limit has fallen below the workers hashing, or its share is used up.
      Slot slot = borrowed ? takeBorrowedSlot(*task, *next, end) : Slot::Whole;
      while (slot != Slot::None) {
        uint64_t from = next->fetch_add(kChunk);
        if (from >= end || task->cancel) break;
        uint64_t pieceStart = threadCpuNs();
        auto part = hashRange(seed, from, std::min(end, from + kChunk), &task->done, &task->cancel);
        if (!part) {
          ok = false;
          break;
        }
        xorInto(acc, *part);
        if (borrowed && mustYield(slot, threadCpuNs() - pieceStart)) {
          releaseBorrowedSlot(slot);
          slot = takeBorrowedSlot(*task, *next, end);
        }
      }
      if (borrowed && slot != Slot::None) releaseBorrowedSlot(slot);
      task->cpuNs += threadCpuNs() - cpuStart;
      bool last;
      {
        std::lock_guard taskLock(task->mutex);
        xorInto(task->outcome.digest, acc);
        if (!ok && !task->cancel) task->outcome = {false, false, {}, "SHA-256 failed in OpenSSL"};
        last = --task->runnersLeft == 0;
      }
      if (last) finish(task);
    });
  }
  pool.ready.notify_all();
  return task;
}

std::shared_ptr<Task> Executor::runMem(uint64_t mb, uint64_t holdMs, bool borrowed,
                                       std::function<void(TaskOutcome)> onDone) {
  auto task = std::make_shared<Task>();
  size_t bytes = static_cast<size_t>(mb) << 20;
  task->total = bytes / kPage + holdMs;
  task->onDone = std::move(onDone);
  live_.push_back(task);
  task->thread = std::thread([this, task, bytes, holdMs, borrowed] {
    niceThisThread(niceLevel_);
    if (borrowed) makeThisThreadIdleOrLog("borrowed mem jobs");
    // Its CPU time is borrowed CPU time, counted when the thread ends (paging in is short).
    struct CountBorrowed {
      Executor* executor;
      bool borrowed;
      uint64_t start = threadCpuNs();
      ~CountBorrowed() {
        if (borrowed) executor->borrowedMemNs_ += threadCpuNs() - start;
      }
    } count{this, borrowed};
    task->started = true;
    uint64_t cpuStart = threadCpuNs();
    auto allocated = std::chrono::steady_clock::now();
    void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      task->outcome = {
          false,
          false,
          {},
          "could not map " + std::to_string(bytes >> 20) + " MiB (" + std::strerror(errno) + ")"};
      task->cpuNs += threadCpuNs() - cpuStart;
      finish(task);
      return;
    }
    // Touch every page so the memory is really resident, not just reserved.
    auto* p = static_cast<volatile uint8_t*>(mem);
    for (size_t off = 0; off < bytes && !task->cancel; off += kPage) {
      p[off] = 1;
      task->done.fetch_add(1, std::memory_order_relaxed);
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(holdMs);
    {
      std::unique_lock lock(task->mutex);
      while (!task->cancel && task->wake.wait_until(lock, until) != std::cv_status::timeout) {
      }
    }
    ::munmap(mem, bytes);
    task->mibSeconds =
        static_cast<double>(bytes >> 20) *
        std::chrono::duration<double>(std::chrono::steady_clock::now() - allocated).count();
    task->cpuNs += threadCpuNs() - cpuStart;
    task->done = task->total;
    task->outcome.ok = true;
    finish(task);
  });
  return task;
}

void Executor::finish(const std::shared_ptr<Task>& task) {
  if (task->cancel) task->outcome = {false, true, {}, "cancelled"};
  task->outcome.coreSeconds = static_cast<double>(task->cpuNs.load()) / 1e9;
  task->outcome.mibSeconds = task->mibSeconds;
  {
    std::lock_guard lock(finishedMutex_);
    finished_.push_back(task);
  }
  wakeLoop_.send();
}

void Executor::deliver() {
  std::vector<std::shared_ptr<Task>> ready;
  {
    std::lock_guard lock(finishedMutex_);
    ready.swap(finished_);
  }
  for (auto& task : ready) {
    if (task->thread.joinable()) task->thread.join();
    live_.erase(std::remove(live_.begin(), live_.end(), task), live_.end());
    if (task->onDone) {
      auto onDone = std::move(task->onDone);
      onDone(task->outcome);
    }
  }
}

void Executor::shutdown() {
  if (threads_.empty() && live_.empty()) return;
  for (auto& task : live_) {
    task->onDone = nullptr;
    task->requestCancel();
  }
  {
    std::scoped_lock lock(own_.mutex, borrowed_.mutex);
    stopping_ = true;
  }
  stoppingFlag_ = true;
  own_.ready.notify_all();
  borrowed_.ready.notify_all();
  slotFree_.notify_all();
  for (auto& t : threads_) t.join();
  for (auto& t : borrowedThreads_) t.join();
  threads_.clear();
  borrowedThreads_.clear();
  borrowedClocks_.clear();
  for (auto& task : live_)
    if (task->thread.joinable()) task->thread.join();
  live_.clear();
  {
    std::lock_guard lock(finishedMutex_);
    finished_.clear();
  }
  wakeLoop_.close();
}

}  // namespace vesta
