// The interface every engine of vestad implements (coordinator, lender, exec client, exec
// runner, the cluster view): the frame types it receives, and what the node fans out to all of
// them (a link going up or down, the progress tick, shutdown) or gathers from them (flows,
// active work). The router (lib/router) holds the engines and does the fanning out. Engines
// live on vestad's loop thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "flow.h"
#include "frame.h"

namespace vesta {

class Engine {
 public:
  virtual ~Engine() = default;

  // The frame types only this engine receives; the router refuses a type claimed twice.
  virtual std::vector<FrameType> frameTypes() const = 0;
  // A frame of one of those types, from the peer `fingerprint` ("" for this node itself).
  virtual void onFrame(const std::string& fingerprint, const Frame& frame) = 0;
  virtual void onLinkUp(const std::string& /*fingerprint*/) {}
  // The link is gone: work in either direction over it stops or moves elsewhere at once.
  virtual void onLinkDown(const std::string& fingerprint) = 0;
  // Timeouts, progress, freeing what ended. A few times a second while anything is active.
  virtual void tick() = 0;
  // Stops everything, telling the other side why. Idempotent.
  virtual void shutdown(const std::string& why) = 0;
  // Work moving between this node and a peer now.
  virtual std::vector<Flow> flows() const = 0;
  // Jobs or pieces of work in hand: the node ticks while any engine has some.
  virtual size_t active() const = 0;
};

}  // namespace vesta
