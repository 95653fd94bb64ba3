// Discovery: sends this node's sealed beacon right after each fresh measurement once an interval
// has passed (broadcast on the chosen or every up IPv4 interface, unicast to seeds), receives
// the others', and keeps the peer table.
#pragma once

#include <uv.h>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "beacon.h"
#include "config.h"
#include "peertable.h"
#include "result.h"
#include "uvpp.h"

namespace vesta {

// What a test changes; vestad takes the defaults.
struct DiscoveryOptions {
  std::string bindAddress = "0.0.0.0";  // tests bind 127.255.255.255: loopback broadcasts only
};

class Discovery {
 public:
  using StatusFn = std::function<NodeSnapshot()>;
  using EventsFn = std::function<void(const std::vector<PeerEvent>&)>;
  using WallClockFn = std::function<uint64_t()>;  // unix ms

  // `wallClock` stamps our beacons and judges whether others' are fresh (the system clock
  // unless given).
  Discovery(uv_loop_t* loop, const Config& config, PublicKey self, StatusFn status,
            EventsFn onEvents, WallClockFn wallClock = {}, DiscoveryOptions options = {});
  ~Discovery();

  // Binds the beacon port and starts beaconing under `beaconKey`.
  Result<void> start(const Key& beaconKey);
  // Tells peers this node leaves (one last beacon), then closes the socket. Idempotent.
  void stop();

  const PeerTable& peers() const { return table_; }
  const std::map<DropReason, uint64_t>& dropped() const { return dropped_; }
  bool running() const { return running_; }
  // A fresh measurement is ready: the beacon goes out now if one is due. Riding on the sampler's
  // wakeup costs no wakeup of its own and carries the newest figures; a jittered timer remains
  // the deadline should samples stop.
  void beat();

 private:
  void sendBeacon(bool leaving);
  void onPacket(std::span<const uint8_t> packet, const sockaddr* from, unsigned flags);
  void drop(DropReason reason, const std::string& from);
  void scheduleNext();
  void tickPeers();
  std::vector<sockaddr_in> targets() const;
  Millis now() const { return uv_now(loop_); }

  uv_loop_t* loop_;
  const Config& config_;
  PublicKey self_;
  StatusFn status_;
  EventsFn onEvents_;
  WallClockFn wallClock_;
  DiscoveryOptions options_;
  Key key_{};
  std::optional<uv::Udp> udp_;
  std::vector<std::unique_ptr<uv::Resolve>> lookups_;  // the seeds' names being resolved
  uv::Timer timer_;
  uv::Timer peerTimer_;   // fires when the next peer is due to turn suspect or dead
  uv::Timer eagerTimer_;  // answers newcomers with a beacon at once
  PeerTable table_;
  uint64_t incarnation_ = 0;
  uint64_t sequence_ = 0;
  bool running_ = false;
  Millis lastEagerBeacon_ = 0;
  Millis lastBeacon_ = 0;
  bool eagerPending_ = false;
  std::map<DropReason, uint64_t> dropped_;
  std::map<DropReason, Millis> lastDropLog_;
  std::vector<sockaddr_in> seeds_;
  // This machine's IPv4 interfaces (address, netmask, internal), read at most every 10 s: asking
  // the kernel costs a netlink round trip, and a beacon goes out every second.
  struct Interface {
    uint32_t addr, mask;
    bool internal;
  };
  mutable std::vector<Interface> interfaces_;
  mutable Millis interfacesRead_ = 0;
  const std::vector<Interface>& interfaces() const;
  std::array<char, 2048> buffer_{};  // one datagram at a time; beacons are at most 512 bytes
};

}  // namespace vesta
