#include "peertable.h"

namespace vesta {

const char* peerStateName(PeerState state) {
  switch (state) {
    case PeerState::Alive:
      return "alive";
    case PeerState::Suspect:
      return "suspect";
    case PeerState::Dead:
      return "dead";
  }
  return "dead";
}

const char* shownPeerState(PeerState state, bool linkUp) {
  if (state == PeerState::Alive && !linkUp) return "unlinked";
  return peerStateName(state);
}

PeerTimings PeerTimings::forInterval(Millis interval) {
  return {interval * 16 / 10, interval * 26 / 10, 10 * 60 * 1000};
}

const Peer* PeerTable::find(const std::string& fingerprint) const {
  auto it = peers_.find(fingerprint);
  return it == peers_.end() ? nullptr : &it->second;
}

tl::expected<std::vector<PeerEvent>, DropReason> PeerTable::onBeacon(const Beacon& b,
                                                                     const std::string& address,
                                                                     Millis now) {
  std::string fp = fingerprintOf(b.key);
  if (auto it = last_.find(fp); it != last_.end()) {
    const Last& last = it->second;
    bool advances = b.incarnation > last.incarnation ||
                    (b.incarnation == last.incarnation && b.sequence > last.sequence);
    if (!advances) return tl::unexpected(DropReason::Replay);
  }
  last_[fp] = {b.incarnation, b.sequence, now};

  std::vector<PeerEvent> events;
  auto it = peers_.find(fp);
  if (b.leaving) {
    if (it != peers_.end()) {
      events.push_back({PeerEvent::Kind::Left, fp, it->second.name, it->second.state});
      peers_.erase(it);
    }
    return events;
  }
  if (it == peers_.end()) {
    Peer p;
    p.key = b.key;
    p.fingerprint = fp;
    p.first_seen = now;
    it = peers_.emplace(fp, std::move(p)).first;
    events.push_back({PeerEvent::Kind::Joined, fp, b.name, PeerState::Alive});
  } else if (b.incarnation > it->second.incarnation) {
    it->second.first_seen = now;
    events.push_back({PeerEvent::Kind::Restarted, fp, b.name, PeerState::Alive});
  } else if (!it->second.address.empty() && it->second.address != address) {
    events.push_back({PeerEvent::Kind::Moved, fp, b.name, it->second.state});
  }
  Peer& p = it->second;
  if (p.state != PeerState::Alive && events.empty())
    events.push_back({PeerEvent::Kind::StateChanged, fp, b.name, PeerState::Alive});
  p.state = PeerState::Alive;
  p.name = b.name;
  p.address = address;
  p.port = b.port;
  p.incarnation = b.incarnation;
  p.sequence = b.sequence;
  p.status = b.status;
  p.last_seen = now;
  return events;
}

std::vector<PeerEvent> PeerTable::tick(Millis now) {
  std::vector<PeerEvent> events;
  for (auto it = peers_.begin(); it != peers_.end();) {
    Peer& p = it->second;
    Millis silent = now > p.last_seen ? now - p.last_seen : 0;
    if (silent >= timings_.forget_after) {
      events.push_back({PeerEvent::Kind::Forgotten, p.fingerprint, p.name, p.state});
      it = peers_.erase(it);
      continue;
    }
    PeerState want = silent >= timings_.dead_after      ? PeerState::Dead
                     : silent >= timings_.suspect_after ? PeerState::Suspect
                                                        : PeerState::Alive;
    // Only time moves a peer down; only a beacon brings it back up.
    if (static_cast<int>(want) > static_cast<int>(p.state)) {
      p.state = want;
      events.push_back({PeerEvent::Kind::StateChanged, p.fingerprint, p.name, want});
    }
    ++it;
  }
  return events;
}

}  // namespace vesta

namespace vesta {

std::optional<Millis> PeerTable::nextChange() const {
  std::optional<Millis> next;
  for (const auto& [fp, p] : peers_) {
    Millis after = p.state == PeerState::Alive     ? timings_.suspect_after
                   : p.state == PeerState::Suspect ? timings_.dead_after
                                                   : timings_.forget_after;
    Millis at = p.last_seen + after;
    if (!next || at < *next) next = at;
  }
  return next;
}

}  // namespace vesta
