// Hands each work frame to the one engine that claims its type, and fans out what concerns all
// engines: a link going up or down, the progress tick, shutdown, and gathering flows and active
// work. Which engine gets a frame is decided by its type alone: no payload is opened to route it.
// Pure: it only calls the engines.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine.h"

namespace vesta {

class Router {
 public:
  // In the order they are ticked and shut down. Two engines claiming one frame type is a
  // programming error: std::logic_error, at construction.
  explicit Router(std::vector<Engine*> engines);

  // False for a type no engine claims: such a frame is dropped and counted (the caller logs the
  // first of each type, so a peer repeating it cannot fill the journal).
  bool route(const std::string& fingerprint, const Frame& frame);
  void linkUp(const std::string& fingerprint);
  void linkDown(const std::string& fingerprint);
  void tick();
  void shutdown(const std::string& why);
  // Every engine's flows: lending first, then borrowing.
  std::vector<Flow> flows() const;
  size_t active() const;
  // Frames of `type` dropped so far because no engine claims it.
  uint64_t unclaimed(FrameType type) const { return unclaimed_[static_cast<uint8_t>(type)]; }

 private:
  std::vector<Engine*> engines_;
  std::array<Engine*, 256> byType_{};
  std::array<uint64_t, 256> unclaimed_{};
};

}  // namespace vesta
