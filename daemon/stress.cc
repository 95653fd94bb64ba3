#include "stress.h"

namespace vesta {

void Stress::start(unsigned cores, unsigned seconds, std::function<void()> onEnd) {
  stop();
  stop_ = false;
  for (unsigned i = 0; i < cores; ++i) {
    threads_.emplace_back([this] {
      // A dependent multiply chain the compiler cannot drop; checks the flag every few µs.
      volatile uint64_t sink = 1;
      uint64_t x = 0x9e3779b97f4a7c15ull;
      while (!stop_.load(std::memory_order_relaxed)) {
        for (int k = 0; k < 4096; ++k) x = x * 6364136223846793005ull + 1442695040888963407ull;
        sink = x;
      }
      (void)sink;
    });
  }
  timer_.start(static_cast<uint64_t>(seconds) * 1000, 0, [this, onEnd = std::move(onEnd)] {
    stop();
    if (onEnd) onEnd();
  });
}

void Stress::stop() {
  timer_.stop();
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace vesta
