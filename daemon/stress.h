// `vesta stress`: pins cores with busy threads, as the owner's own heavy use would, so the
// node's real CPU measurement rises. Not niced: it stands in for the owner, who comes first.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "uvpp.h"

namespace vesta {

class Stress {
 public:
  explicit Stress(uv_loop_t* loop) : timer_(loop) {}
  ~Stress() { stop(); }

  // Spins `cores` threads for `seconds`, replacing any stress already running. `onEnd` runs on the
  // loop when it ends by itself.
  void start(unsigned cores, unsigned seconds, std::function<void()> onEnd);
  // Ends it now (joins the threads). Idempotent.
  void stop();
  unsigned cores() const { return static_cast<unsigned>(threads_.size()); }

 private:
  uv::Timer timer_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace vesta
