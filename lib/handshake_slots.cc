#include "handshake_slots.h"

#include <tuple>

namespace vesta {

void HandshakeSlots::add(uint64_t id, uint32_t address, Millis now) {
  conns_[id] = Entry{address, now, arrivals_++, false};
}

void HandshakeSlots::heard(uint64_t id) {
  if (auto it = conns_.find(id); it != conns_.end()) it->second.heard = true;
}

void HandshakeSlots::remove(uint64_t id) {
  conns_.erase(id);
}

std::optional<uint64_t> HandshakeSlots::victim() const {
  if (conns_.empty()) return std::nullopt;
  std::map<uint32_t, size_t> perAddress;
  for (const auto& [id, e] : conns_) ++perAddress[e.address];
  std::optional<uint64_t> best;
  // Smaller key wins: most slots held by its address, then silent, then oldest arrival.
  std::tuple<long, bool, uint64_t> bestKey{};
  for (const auto& [id, e] : conns_) {
    std::tuple<long, bool, uint64_t> key{-static_cast<long>(perAddress[e.address]), e.heard,
                                         e.order};
    if (!best || key < bestKey) {
      best = id;
      bestKey = key;
    }
  }
  return best;
}

std::vector<uint64_t> HandshakeSlots::expired(Millis now) const {
  std::vector<uint64_t> out;
  for (const auto& [id, e] : conns_) {
    Millis age = now > e.opened ? now - e.opened : 0;
    if (age > limits_.handshake_ms || (!e.heard && age > limits_.silent_ms)) out.push_back(id);
  }
  return out;
}

}  // namespace vesta
