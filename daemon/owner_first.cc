#include "owner_first.h"

#include <algorithm>
#include <map>

#include "capacity.h"
#include "log.h"
#include "memory_reserve.h"
#include "plural.h"

namespace vesta {

OwnerFirst::OwnerFirst(const Config& config, Executor& executor, Lender& lender, ExecRunner& runner)
    : config_(config),
      executor_(executor),
      lender_(lender),
      runner_(runner),
      pauses_(uint64_t{config.resume_after_s} * 1000, uint64_t{config.max_pause_s} * 1000) {}

double OwnerFirst::borrowedCpuSeconds() {
  runner_.measureBorrowed();
  return executor_.borrowedCpuSeconds() + runner_.borrowedCpuSeconds();
}

void OwnerFirst::enforce(const NodeStatus& status, uint64_t nowMs) {
  unsigned slots = status.budget.workers();
  auto commands = runner_.borrowedCommands();
  PausePlan plan = pauses_.plan(commands, slots, nowMs);
  std::string why = "the owner needs the cores (" + status.budget.summary + ")";
  for (uint64_t id : plan.pause) runner_.pause(id, why);
  for (uint64_t id : plan.resume) runner_.resume(id);
  for (uint64_t id : plan.stop)
    runner_.stopForOwner(id, "paused " + std::to_string(config_.max_pause_s) +
                                 " s for the owner (max_pause_s); run it elsewhere");
  // Commands are whole processes and cannot run on part of a core: they keep theirs, and
  // chunks get what is left.
  size_t running = 0;
  for (auto& c : commands) running += !c.paused;
  running = running + plan.resume.size() - std::min(running, plan.pause.size());
  executor_.setBorrowedLimit(std::max(0.0, status.budget.cores - static_cast<double>(running)));
  enforceMemory(status);
}

void OwnerFirst::enforceMemory(const NodeStatus& status) {
  uint64_t available = status.mem.available_kb / 1024, reserve = reserveMb(status.mem, config_);
  if (available >= reserve || status.mem.total_kb == 0) return;
  // One list over both kinds; ids are positions in `who`.
  struct Who {
    bool exec;
    uint64_t serial;
    std::string fingerprint;
    uint64_t job;
  };
  std::vector<Who> who;
  std::vector<MemoryHolder> holders;
  for (auto& c : runner_.borrowedMemory()) {
    holders.push_back({who.size(), c.startedMs, c.mb});
    who.push_back({true, c.id, "", 0});
  }
  for (auto& m : lender_.borrowedMemory()) {
    holders.push_back({who.size(), m.sinceMs, m.mb});
    who.push_back({false, 0, m.fingerprint, m.job});
  }
  std::string why = "stopped: " + memoryReason(available, reserve);
  for (uint64_t id : memoryVictims(holders, available, reserve)) {
    const Who& w = who[static_cast<size_t>(id)];  // an index into `who`, from holders
    if (w.exec)
      runner_.stopForOwner(w.serial, why);
    else
      lender_.stopForOwner(w.fingerprint, w.job, why);
  }
}

}  // namespace vesta
