#include "replay_window.h"

namespace vesta {

ReplayWindow::Verdict ReplayWindow::check(uint64_t counter) const {
  if (!any_ || counter > highest_) return Verdict::Fresh;
  if (highest_ - counter >= kSize) return Verdict::TooOld;
  return bit(counter) ? Verdict::Duplicate : Verdict::Fresh;
}

void ReplayWindow::mark(uint64_t counter) {
  if (!any_ || counter > highest_) {
    // Clear the words the window slides over, so stale bits never read as "seen".
    uint64_t fromWord = any_ ? highest_ / 64 + 1 : counter / 64;
    uint64_t toWord = counter / 64;
    if (!any_ || toWord - fromWord + 1 >= kWords) {
      bits_.fill(0);
    } else {
      for (uint64_t w = fromWord; w <= toWord; ++w) bits_[static_cast<std::size_t>(w % kWords)] = 0;
    }
    highest_ = counter;
    any_ = true;
  }
  bits_[word(counter)] |= uint64_t{1} << (counter % 64);
}

}  // namespace vesta
