// The node's ledger on disk and in memory: records what is lent and borrowed as work ends,
// answers the borrowing gate, and keeps vestad-ledger-NAME.json current. A finished job is
// written at once, or, in a burst of them (a fan-out of short jobs), within 200 ms of the
// last ending written; usage of work still running is coalesced to one write a second
// (lib/save_schedule). A kill at any moment leaves the old file or the new one
// (lib/atomic_file). Loop thread only.
#pragma once

#include <uv.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "ledger.h"
#include "result.h"
#include "uvpp.h"

namespace vesta {

class LedgerStore {
 public:
  LedgerStore(uv_loop_t* loop, const Config& config, std::string path);

  // Reads the file. A corrupt one is moved aside (the error names both files) and a new,
  // empty ledger starts: never silently reset, never lost.
  Result<void> load(std::string* warning);

  // `jobEnded`: write now (or soon, in a burst) rather than within the second.
  void recordLent(const std::string& fingerprint, const std::string& name, double coreSeconds,
                  double mibSeconds, bool jobEnded);
  void recordBorrowed(const std::string& fingerprint, const std::string& name, double coreSeconds,
                      double mibSeconds, bool jobEnded);

  // GPU-seconds of a --gpu job (lent: a peer's job held our GPUs), written within the second.
  void recordGpu(const std::string& fingerprint, const std::string& name, double gpuSeconds,
                 bool lent);

  // May `fingerprint` borrow from us? When not, `why` names the cap.
  bool allows(const std::string& fingerprint, std::string* why) const;
  // Would `fingerprint` refuse us: by our gate's numbers (we borrowed too much from it), or
  // because it refused us for our cap lately and we have lent it nothing since (its ratio and
  // goodwill may be stricter than ours)?
  bool cappedThere(const std::string& fingerprint) const;
  void noteCappedThere(const std::string& fingerprint);

  std::vector<LedgerEntry> entries() const { return ledger_.entries(); }
  const BorrowGate& gate() const { return gate_; }
  const std::string& path() const { return path_; }
  // A job or loan ended: write what is pending now, or soon in a burst of endings.
  void jobEnded();
  // Writes pending changes now (shutdown). Idempotent.
  void flush();
  void close();

 private:
  void changed(bool jobEnded);

  const Config& config_;
  std::string path_;
  Ledger ledger_;
  BorrowGate gate_;
  uv_loop_t* loop_;
  uv::Timer saveTimer_;
  bool dirty_ = false, timerArmed_ = false, timerUrgent_ = false, closed_ = false;
  uint64_t timerDueMs_ = 0;                    // when the armed timer fires, on uv_now's clock
  std::optional<uint64_t> lastUrgentWriteMs_;  // when an ending was last written, same clock
  std::string lastError_;
  struct CapNote {
    double lentThen;  // what we had lent it when it refused
    int64_t atUnix;
  };
  std::map<std::string, CapNote> capNotes_;
};

}  // namespace vesta
