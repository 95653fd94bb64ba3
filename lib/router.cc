#include "router.h"

#include <algorithm>
#include <stdexcept>

namespace vesta {

Router::Router(std::vector<Engine*> engines) : engines_(std::move(engines)) {
  for (Engine* e : engines_)
    for (FrameType t : e->frameTypes()) {
      auto& slot = byType_[static_cast<uint8_t>(t)];
      if (slot)
        throw std::logic_error("frame type " + std::to_string(static_cast<int>(t)) +
                               " is claimed by two engines");
      slot = e;
    }
}

bool Router::route(const std::string& fp, const Frame& frame) {
  auto type = static_cast<uint8_t>(frame.type);
  if (Engine* e = byType_[type]) {
    e->onFrame(fp, frame);
    return true;
  }
  ++unclaimed_[type];
  return false;
}

void Router::linkUp(const std::string& fp) {
  for (Engine* e : engines_) e->onLinkUp(fp);
}

void Router::linkDown(const std::string& fp) {
  for (Engine* e : engines_) e->onLinkDown(fp);
}

void Router::tick() {
  for (Engine* e : engines_) e->tick();
}

void Router::shutdown(const std::string& why) {
  for (Engine* e : engines_) e->shutdown(why);
}

std::vector<Flow> Router::flows() const {
  std::vector<Flow> out;
  for (const Engine* e : engines_)
    for (auto& f : e->flows()) out.push_back(f);
  std::stable_partition(out.begin(), out.end(), [](const Flow& f) { return f.lending; });
  return out;
}

size_t Router::active() const {
  size_t n = 0;
  for (const Engine* e : engines_) n += e->active();
  return n;
}

}  // namespace vesta
