// The reciprocity ledger: per peer, what this node lent to it and borrowed
// from it, in core-seconds and MiB-seconds, and the borrowing gate. Pure arithmetic plus an
// atomic JSON file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "result.h"

namespace vesta {

struct LedgerEntry {
  std::string fingerprint;
  std::string name;            // the peer's name when last seen (for people; may change)
  double lent_core_s = 0;      // we ran its work: it borrowed from us
  double borrowed_core_s = 0;  // it ran our work: we borrowed from it
  double lent_mib_s = 0;
  double borrowed_mib_s = 0;
  double lent_gpu_s = 0;  // GPU-seconds: its --gpu jobs held our GPUs (one GPU for 1 s = 1)
  double borrowed_gpu_s = 0;
  int64_t updated_unix = 0;
};

// The gate: a peer may borrow from us while what we lent it is at most
// max_borrow_ratio x max(goodwill_floor_core_s, what it lent us). A new peer can thus borrow up to
// ratio x floor without contributing; one that contributes can borrow in proportion.
struct BorrowGate {
  double max_borrow_ratio = 5;
  double goodwill_floor_core_s = 3600;  // one core-hour of goodwill for every new peer
  // Whether `e`'s owner may borrow more; when not, `why` says which cap (for the refusal).
  bool allows(const LedgerEntry& e, std::string* why = nullptr) const;
  // The same rule seen from our side: whether `e`'s owner, judging by our own ledger and this
  // gate's numbers, would still lend to us. Placement stops asking a peer that would refuse.
  bool lendsToUs(const LedgerEntry& e) const;
};

class Ledger {
 public:
  // Adds usage measured from the work actually run. Negative or non-finite amounts are refused,
  // so totals never go down.
  Result<void> recordLent(const std::string& fingerprint, const std::string& name,
                          double coreSeconds, double mibSeconds, int64_t nowUnix);
  Result<void> recordBorrowed(const std::string& fingerprint, const std::string& name,
                              double coreSeconds, double mibSeconds, int64_t nowUnix);

  // GPU-seconds beside the core-seconds (lent: its job held our GPUs). Refused as above.
  Result<void> recordGpu(const std::string& fingerprint, const std::string& name, double gpuSeconds,
                         bool lent, int64_t nowUnix);

  const LedgerEntry* find(const std::string& fingerprint) const;
  std::vector<LedgerEntry> entries() const;

  std::string toJson() const;
  // Parses a ledger file strictly; the error names the file and the field.
  static Result<Ledger> fromJson(const std::string& text, const std::string& origin);

 private:
  Result<void> add(const std::string& fp, const std::string& name, double core, double mib,
                   bool lent, int64_t now);
  std::map<std::string, LedgerEntry> entries_;
};

// vestad-ledger-NAME.json in the state directory.
std::string ledgerPath(const std::string& stateDir, const std::string& nodeName);
// Loads the ledger; a missing file is an empty ledger, a corrupt one an error (never reset).
Result<Ledger> loadLedger(const std::string& path);
// Writes it atomically, mode 0600 (temp file, fsync, rename, fsync of the directory).
Result<void> saveLedger(const std::string& path, const Ledger& ledger);
// Moves a corrupt file aside (PATH.corrupt-UNIXTIME) and returns the new name.
Result<std::string> keepAside(const std::string& path, int64_t nowUnix);

}  // namespace vesta
