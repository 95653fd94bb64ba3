#include "batch_plan.h"

#include <sys/wait.h>

#include <algorithm>

namespace vesta {

size_t batchSize(double meanRuntimeMs, size_t left, const BatchSizing& sizing) {
  if (meanRuntimeMs < 0) return 1;
  auto byTime = static_cast<size_t>(sizing.targetMs / std::max(meanRuntimeMs, 0.01));
  size_t byTail = (left + sizing.lanes - 1) / sizing.lanes;
  return std::clamp<size_t>(std::min(byTime, byTail), 1, sizing.most);
}

std::vector<BatchFate> batchFates(BatchStreamParser& parser, bool cancelled, bool ranNothing) {
  auto& outcomes = parser.outcomes();
  size_t ended = parser.finished();
  if (cancelled && ended > 0 && outcomes[ended - 1].ended &&
      WIFSIGNALED(outcomes[ended - 1].waitStatus))
    --ended;
  std::vector<BatchFate> fates(outcomes.size());
  for (size_t k = 0; k < outcomes.size(); ++k) {
    if (k < ended)
      fates[k] = BatchFate::Ended;
    else if (cancelled)
      fates[k] = BatchFate::Cancelled;
    else if (k == ended || ranNothing)
      fates[k] = BatchFate::FailedWithIt;
    else
      fates[k] = BatchFate::Again;
  }
  return fates;
}

}  // namespace vesta
