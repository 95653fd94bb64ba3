#include "ledger_store.h"

#include <ctime>

#include "log.h"
#include "save_schedule.h"

namespace vesta {
namespace {

constexpr int64_t kCapNoteSeconds = 600;

int64_t nowUnix() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

LedgerStore::LedgerStore(uv_loop_t* loop, const Config& config, std::string path)
    : config_(config), path_(std::move(path)), loop_(loop), saveTimer_(loop) {
  gate_.max_borrow_ratio = config_.max_borrow_ratio;
  gate_.goodwill_floor_core_s = config_.goodwill_core_s;
}

Result<void> LedgerStore::load(std::string* warning) {
  auto loaded = loadLedger(path_);
  if (loaded) {
    ledger_ = std::move(*loaded);
    return {};
  }
  auto aside = keepAside(path_, nowUnix());
  if (!aside) return fail(loaded.error() + "; and " + aside.error());
  *warning = loaded.error() + "; kept it as " + *aside + " and started a new ledger";
  return {};
}

void LedgerStore::recordLent(const std::string& fp, const std::string& name, double core,
                             double mib, bool jobEnded) {
  if (ledger_.recordLent(fp, name, core, mib, nowUnix())) changed(jobEnded);
}

void LedgerStore::recordBorrowed(const std::string& fp, const std::string& name, double core,
                                 double mib, bool jobEnded) {
  if (ledger_.recordBorrowed(fp, name, core, mib, nowUnix())) changed(jobEnded);
}

void LedgerStore::recordGpu(const std::string& fp, const std::string& name, double gpuSeconds,
                            bool lent) {
  if (ledger_.recordGpu(fp, name, gpuSeconds, lent, nowUnix())) changed(false);
}

bool LedgerStore::allows(const std::string& fp, std::string* why) const {
  const LedgerEntry* e = ledger_.find(fp);
  return !e || gate_.allows(*e, why);
}

bool LedgerStore::cappedThere(const std::string& fp) const {
  const LedgerEntry* e = ledger_.find(fp);
  if (e && !gate_.lendsToUs(*e)) return true;
  auto note = capNotes_.find(fp);
  // Ten minutes, or until we lend it something: then it is worth asking again.
  return note != capNotes_.end() && nowUnix() - note->second.atUnix < kCapNoteSeconds &&
         (e ? e->lent_core_s : 0) <= note->second.lentThen;
}

void LedgerStore::noteCappedThere(const std::string& fp) {
  const LedgerEntry* e = ledger_.find(fp);
  capNotes_[fp] = {e ? e->lent_core_s : 0, nowUnix()};
}

void LedgerStore::jobEnded() {
  if (dirty_) changed(true);
}

void LedgerStore::changed(bool jobEnded) {
  dirty_ = true;
  if (closed_) return flush();
  uint64_t now = uv_now(loop_);
  uint64_t delay = saveDelayMs(now, lastUrgentWriteMs_, jobEnded);
  if (delay == 0) {
    lastUrgentWriteMs_ = now;
    return flush();
  }
  if (timerArmed_ && timerDueMs_ <= now + delay) {  // an earlier write covers this one
    timerUrgent_ = timerUrgent_ || jobEnded;
    return;
  }
  timerArmed_ = true;
  timerUrgent_ = jobEnded;
  timerDueMs_ = now + delay;
  saveTimer_.start(delay, 0, [this] {
    timerArmed_ = false;
    if (timerUrgent_) lastUrgentWriteMs_ = uv_now(loop_);
    flush();
  });
}

void LedgerStore::flush() {
  if (!dirty_) return;
  if (auto saved = saveLedger(path_, ledger_); !saved) {
    // Kept dirty: the next change or the shutdown tries again. Logged once per distinct error.
    if (saved.error() != lastError_) log::error("cannot save the ledger: " + saved.error());
    lastError_ = saved.error();
    return;
  }
  lastError_.clear();
  dirty_ = false;
}

void LedgerStore::close() {
  if (closed_) return;
  closed_ = true;
  flush();
  saveTimer_.close();
}

}  // namespace vesta
