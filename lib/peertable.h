// Membership: who is alive, from the beacons heard, on an injected clock (no sleeps in tests).
// Timings and their reasons are in docs/protocol.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "beacon.h"

namespace vesta {

using Millis = uint64_t;  // a monotonic clock in milliseconds, supplied by the caller

enum class PeerState { Alive, Suspect, Dead };
const char* peerStateName(PeerState state);
// What `vesta peers`, vestatop and the bus call a peer. Beacons alone do not make it alive:
// whoever recorded some can replay them to a receiver that has just restarted (and so forgot
// the sender's sequence) until they go stale, and such a "node" never links. So alive needs
// the link up as well; a peer whose beacons are fresh but whose link is down is "unlinked"
// (for a moment while the link comes up, or for good when its link port cannot be reached).
const char* shownPeerState(PeerState state, bool linkUp);

// How long silence may last. With beacons every `interval` ms (+-10% jitter): suspect after 1.6
// intervals (one beacon missing), dead after 2.6 (two missing): a node that vanishes is dead
// within 2.6 s at the default 1 s, and one late beacon raises no alarm.
struct PeerTimings {
  Millis suspect_after;
  Millis dead_after;
  Millis forget_after;  // dead entries disappear from the table after this long
  static PeerTimings forInterval(Millis intervalMs);
};

struct Peer {
  PublicKey key{};
  std::string fingerprint;
  std::string name;
  std::string address;  // where its beacons come from (IPv4 text)
  uint16_t port = 0;
  uint64_t incarnation = 0;
  uint64_t sequence = 0;
  NodeSnapshot status;
  PeerState state = PeerState::Alive;
  Millis first_seen = 0;
  Millis last_seen = 0;
};

// What a beacon or the passing of time did to the table; the daemon logs and signals these.
struct PeerEvent {
  // LinkUp/LinkDown come from the links, not the table; they share the event type for signalling.
  enum class Kind {
    Joined,
    Restarted,
    Moved,
    StateChanged,
    Left,
    Forgotten,
    LinkUp,
    LinkDown
  } kind;
  std::string fingerprint;
  std::string name;
  PeerState state = PeerState::Alive;
};

class PeerTable {
 public:
  explicit PeerTable(PeerTimings timings) : timings_(timings) {}

  // Applies an authenticated beacon heard from `address` at `now`. Returns the events it caused,
  // or DropReason::Replay when it does not advance the sender's (incarnation, sequence): a replay
  // must neither revive a dead peer nor roll its status back.
  tl::expected<std::vector<PeerEvent>, DropReason> onBeacon(const Beacon& beacon,
                                                            const std::string& address, Millis now);
  // Moves silent peers to suspect and dead, and forgets long-dead ones.
  std::vector<PeerEvent> tick(Millis now);

  // When tick() will next have something to do: the earliest time a peer turns suspect, dead or
  // forgotten. nullopt when the table is empty.
  std::optional<Millis> nextChange() const;

  const std::map<std::string, Peer>& peers() const { return peers_; }  // by fingerprint
  const Peer* find(const std::string& fingerprint) const;

 private:
  struct Last {
    uint64_t incarnation, sequence;
    Millis at;
  };
  PeerTimings timings_;
  std::map<std::string, Peer> peers_;
  // The newest (incarnation, sequence) of every node heard, kept after it leaves or is forgotten
  // so a replayed old beacon cannot bring it back. Only authenticated members get here, so it
  // holds one small entry per member ever seen.
  std::map<std::string, Last> last_;
};

}  // namespace vesta
