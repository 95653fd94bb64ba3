// What an engine under test sent through its fake send hook (each frame with the fingerprint it
// went to), and how the engine tests read it: by frame type, taking what they have checked.
#pragma once

#include <string>
#include <vector>

#include "frame.h"

namespace vesta {

struct Sent {
  std::string to;
  Frame frame;
};

// The frames of `type` in `sent`, taken out of it; the others stay, in order.
inline std::vector<Sent> takeFrames(std::vector<Sent>& sent, FrameType type) {
  std::vector<Sent> out, rest;
  for (auto& s : sent) (s.frame.type == type ? out : rest).push_back(s);
  sent = rest;
  return out;
}

inline bool hasFrame(const std::vector<Sent>& sent, FrameType type) {
  for (auto& s : sent)
    if (s.frame.type == type) return true;
  return false;
}

}  // namespace vesta
