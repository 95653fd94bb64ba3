// Which accepted link connections may stay while they do their handshake. Anyone on the LAN can
// open connections to the link port without the key; the slots are bounded so that costs no
// memory, and a full set must never lock a member out: a new connection always gets a slot, by
// evicting one that has had its chance. Pure (ids, addresses, times); Links does the I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace vesta {

class HandshakeSlots {
 public:
  using Millis = uint64_t;  // the caller's monotonic clock
  struct Limits {
    size_t slots = 256;  // connections that have not yet shown the link key
    // A dialler sends its first handshake message the moment it connects: a connection still
    // silent after this long is not a member's.
    Millis silent_ms = 1000;
    Millis handshake_ms = 5000;  // every handshake ends by then, whatever it sent
  };

  explicit HandshakeSlots(Limits limits) : limits_(limits) {}

  // A newly accepted connection from IPv4 `address`. Make room first (full(), victim()).
  void add(uint64_t id, uint32_t address, Millis now);
  // It sent its first bytes.
  void heard(uint64_t id);
  // It proved it holds the link key (its first message authenticated), or it closed.
  void remove(uint64_t id);

  bool full() const { return conns_.size() >= limits_.slots; }
  size_t size() const { return conns_.size(); }
  // The connection to close to make room for a new one: from the source address holding the
  // most slots (so a flood from one address only evicts itself), silent before heard, and the
  // oldest first (it has had the longest to speak). nullopt when there is nothing to evict.
  std::optional<uint64_t> victim() const;
  // Connections past a deadline at `now`: silent past silent_ms, or any past handshake_ms.
  std::vector<uint64_t> expired(Millis now) const;

 private:
  struct Entry {
    uint32_t address;
    Millis opened;
    uint64_t order;  // arrival order, to break ties between equal times
    bool heard = false;
  };
  Limits limits_;
  std::map<uint64_t, Entry> conns_;
  uint64_t arrivals_ = 0;
};

}  // namespace vesta
