// A sliding replay window over 64-bit counters (after boringtun's): check before decrypting,
// mark after the packet authenticated. Distinct answers for "too old" and "duplicate".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace vesta {

class ReplayWindow {
 public:
  static constexpr uint64_t kSize = 1024;  // counters behind the highest one still accepted

  enum class Verdict { Fresh, TooOld, Duplicate };

  // Whether `counter` may be accepted. Does not change the window.
  Verdict check(uint64_t counter) const;
  // Records `counter` as seen (call only after it authenticated and check said Fresh).
  void mark(uint64_t counter);
  // The highest counter marked so far (0 before any).
  uint64_t highest() const { return highest_; }

 private:
  bool bit(uint64_t counter) const { return bits_[word(counter)] >> (counter % 64) & 1; }
  // The word holding `counter`'s bit; below kWords, so it fits a 32-bit size_t too.
  static std::size_t word(uint64_t counter) {
    return static_cast<std::size_t>(counter / 64 % kWords);
  }

  static constexpr uint64_t kWords = kSize / 64 + 1;  // one spare word for the partial edge
  std::array<uint64_t, kWords> bits_{};
  uint64_t highest_ = 0;
  bool any_ = false;
};

}  // namespace vesta
