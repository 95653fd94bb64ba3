#include "duty_cycle.h"

#include <algorithm>

namespace vesta {

bool DutyCycle::mayRun(double share, uint64_t nowNs) {
  if (!started_) {
    started_ = true;
    lastNs_ = nowNs;
  }
  share = std::clamp(share, 0.0, 1.0);
  uint64_t elapsed = nowNs > lastNs_ ? nowNs - lastNs_ : 0;
  lastNs_ = std::max(lastNs_, nowNs);
  auto earned = static_cast<int64_t>(static_cast<double>(elapsed) * share);
  creditNs_ = std::min(creditNs_ + earned, static_cast<int64_t>(burstNs_));
  return share > 0 && creditNs_ > 0;
}

}  // namespace vesta
