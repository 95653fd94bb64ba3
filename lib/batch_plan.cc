#include "batch_plan.h"

#include <algorithm>

#include "exec_proto.h"

namespace vesta {

bool BatchLoad::add(const std::vector<std::string>& argv) {
  size_t bytes = 0;
  for (auto& a : argv) bytes += a.size();
  bool first = words_ == 0;
  if (!first && (words_ + argv.size() > kMaxArgs || bytes_ + bytes > kMaxArgvBytes)) return false;
  words_ += argv.size();
  bytes_ += bytes;
  return true;
}

size_t batchSize(double meanRuntimeMs, size_t left, const BatchSizing& sizing) {
  if (meanRuntimeMs < 0) return 1;
  auto byTime = static_cast<size_t>(sizing.targetMs / std::max(meanRuntimeMs, 0.01));
  size_t byTail = (left + sizing.lanes - 1) / sizing.lanes;
  return std::clamp<size_t>(std::min(byTime, byTail), 1, sizing.most);
}

std::vector<BatchFate> batchFates(const BatchStreamParser& parser, bool cancelled, bool neverRan) {
  const auto& outcomes = parser.outcomes();
  bool none = !parser.anyStarted();
  std::vector<BatchFate> fates(outcomes.size());
  for (size_t k = 0; k < outcomes.size(); ++k) {
    if (k < parser.finished())
      fates[k] = BatchFate::Ended;
    else if (outcomes[k].started)
      fates[k] = cancelled ? BatchFate::Cancelled : BatchFate::FailedWithIt;
    else if (none && neverRan && !cancelled)
      fates[k] = BatchFate::FailedWithIt;
    else
      fates[k] = BatchFate::Again;
  }
  // Every batch settles one command at least, whatever its runner sent (or left out): a
  // runner that never starts one would have the rest go round for ever.
  bool settled =
      std::any_of(fates.begin(), fates.end(), [](BatchFate f) { return f != BatchFate::Again; });
  if (!settled && !cancelled && !fates.empty()) fates[0] = BatchFate::FailedWithIt;
  return fates;
}

}  // namespace vesta
