#include "discovery.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "log.h"

namespace vesta {
namespace {

constexpr Millis kDropLogEveryMs = 60'000;  // rate limit for "dropped packets" log lines

std::string addressText(const sockaddr* sa) {
  char text[INET_ADDRSTRLEN] = "?";
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  return text;
}

sockaddr_in ipv4(const std::string& address, uint16_t port) {
  sockaddr_in sa{};
  uv_ip4_addr(address.c_str(), port, &sa);
  return sa;
}

uint64_t systemClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Discovery::Discovery(uv_loop_t* loop, const Config& config, PublicKey self, StatusFn status,
                     EventsFn onEvents, WallClockFn wallClock, DiscoveryOptions options)
    : loop_(loop),
      config_(config),
      self_(self),
      status_(std::move(status)),
      onEvents_(std::move(onEvents)),
      wallClock_(wallClock ? std::move(wallClock) : WallClockFn(systemClockMs)),
      options_(std::move(options)),
      timer_(loop),
      peerTimer_(loop),
      eagerTimer_(loop),
      table_(PeerTimings::forInterval(config.advertise_spare_ms)) {
  // Wall-clock milliseconds at start: a restarted node's incarnation is higher than before.
  incarnation_ = wallClock_();
}

Discovery::~Discovery() {
  stop();
}

Result<void> Discovery::start(const Key& beaconKey) {
  key_ = beaconKey;
  for (const auto& seed : config_.seed) {
    auto colon = seed.rfind(':');
    std::string host = seed.substr(0, colon);
    auto port = static_cast<uint16_t>(std::stoul(seed.substr(colon + 1)));
    in_addr probe{};
    if (inet_pton(AF_INET, host.c_str(), &probe) == 1) {
      seeds_.push_back(ipv4(host, port));
      continue;
    }
    // Resolve names off the loop; the seed joins the targets when the answer comes.
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    auto& lookup = lookups_.emplace_back(std::make_unique<uv::Resolve>(
        loop_, host, hints, [this, host, port](int status, const addrinfo* res) {
          if (status == 0 && res && running_) {
            sockaddr_in sa = *reinterpret_cast<const sockaddr_in*>(res->ai_addr);
            sa.sin_port = htons(port);
            seeds_.push_back(sa);
          } else if (status != 0) {
            log::warning("seed " + host + ": cannot resolve: " + uv_strerror(status));
          }
        }));
    if (lookup->error() != 0) log::warning("seed " + host + ": " + uv_strerror(lookup->error()));
  }

  udp_.emplace(loop_);
  sockaddr_in any = ipv4(options_.bindAddress, static_cast<uint16_t>(config_.dport));
  // SO_REUSEADDR: several vestad on one machine share the beacon port and all hear broadcasts.
  int r = udp_->bind(reinterpret_cast<const sockaddr*>(&any), UV_UDP_REUSEADDR);
  if (r == 0) r = uv_udp_set_broadcast(udp_->get(), 1);
  if (r == 0)
    r = udp_->recvStart(buffer_, [this](std::span<const uint8_t> packet, const sockaddr* from,
                                        unsigned flags) { onPacket(packet, from, flags); });
  if (r != 0) {
    udp_.reset();
    return fail("beacon port " + std::to_string(config_.dport) + "/udp: " + uv_strerror(r) +
                "; pick another with -dport");
  }
  running_ = true;
  sendBeacon(false);  // the first beacon at once: discovery should not wait an interval
  scheduleNext();
  return {};
}

void Discovery::scheduleNext() {
  // The deadline, should no sample come first: an interval and a jittered 10-30% more, so nodes
  // started together do not beacon in lockstep.
  static thread_local std::mt19937 rng{std::random_device{}()};
  Millis interval = config_.advertise_spare_ms;
  std::uniform_int_distribution<Millis> jitter(interval * 11 / 10, interval * 13 / 10);
  timer_.start(jitter(rng), 0, [this] {
    sendBeacon(false);
    scheduleNext();
  });
}

void Discovery::beat() {
  if (!running_) return;
  // Samples come every interval (or every second when the interval is longer); allow a little
  // timer slack so a beacon is not skipped for being a millisecond early.
  Millis interval = config_.advertise_spare_ms;
  if (now() - lastBeacon_ + interval / 20 < interval) return;
  sendBeacon(false);
  scheduleNext();
}

void Discovery::tickPeers() {
  auto events = table_.tick(now());
  if (!events.empty()) onEvents_(events);
  // Wake exactly when the next peer is due, so a dead node is noticed on time, not on the next
  // beacon; an idle table costs no wakeups.
  if (auto next = table_.nextChange(); next && running_)
    peerTimer_.start(*next > now() ? *next - now() : 0, 0, [this] { tickPeers(); });
  else
    peerTimer_.stop();
}

const std::vector<Discovery::Interface>& Discovery::interfaces() const {
  constexpr Millis kRefreshMs = 10'000;  // a laptop that changes networks is heard within 10 s
  if (interfacesRead_ && now() - interfacesRead_ < kRefreshMs) return interfaces_;
  interfacesRead_ = std::max<Millis>(now(), 1);
  interfaces_.clear();
  uv_interface_address_t* ifs = nullptr;
  int count = 0;
  if (uv_interface_addresses(&ifs, &count) != 0) count = 0;
  for (int i = 0; i < count; ++i) {
    if (ifs[i].address.address4.sin_family != AF_INET) continue;
    interfaces_.push_back({ntohl(ifs[i].address.address4.sin_addr.s_addr),
                           ntohl(ifs[i].netmask.netmask4.sin_addr.s_addr),
                           ifs[i].is_internal != 0});
  }
  uv_free_interface_addresses(ifs, count);
  return interfaces_;
}

std::vector<sockaddr_in> Discovery::targets() const {
  std::vector<sockaddr_in> out = seeds_;
  auto port = static_cast<uint16_t>(config_.dport);
  struct Subnet {
    uint32_t addr, mask;
  };
  std::vector<Subnet> local;
  for (const auto& i : interfaces()) {
    local.push_back({i.addr, i.mask});
    // Every up IPv4 interface with a broadcast address (address | ~netmask), unless -broadcast
    // chose the addresses. Loopback counts as internal: one machine alone uses
    // -broadcast 127.255.255.255.
    if (!config_.broadcast.empty() || i.internal || i.mask == 0xffffffffu) continue;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(i.addr | ~i.mask);
    out.push_back(sa);
  }
  for (const auto& b : config_.broadcast) out.push_back(ipv4(b, port));
  // Peers beyond every local subnet (they found us through their -seed, across a router) hear
  // no broadcast: answer them by unicast so the link of trust goes both ways.
  for (const auto& [fp, peer] : table_.peers()) {
    sockaddr_in sa = ipv4(peer.address, port);
    uint32_t a = ntohl(sa.sin_addr.s_addr);
    bool onLink = false;
    for (const auto& net : local) onLink |= (a & net.mask) == (net.addr & net.mask);
    if (!onLink) out.push_back(sa);
  }
  // One copy per address: a second would arrive as a replay and be counted as one.
  std::sort(out.begin(), out.end(), [](const sockaddr_in& x, const sockaddr_in& y) {
    return std::pair(x.sin_addr.s_addr, x.sin_port) < std::pair(y.sin_addr.s_addr, y.sin_port);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const sockaddr_in& x, const sockaddr_in& y) {
                          return x.sin_addr.s_addr == y.sin_addr.s_addr && x.sin_port == y.sin_port;
                        }),
            out.end());
  return out;
}

void Discovery::sendBeacon(bool leaving) {
  if (!udp_) return;
  Beacon b;
  b.key = self_;
  b.incarnation = incarnation_;
  b.sequence = ++sequence_;
  b.sent_ms = wallClock_();
  b.port = static_cast<uint16_t>(config_.port);
  b.leaving = leaving;
  b.name = config_.name;
  b.status = status_();
  Bytes packet = sealBeacon(key_, b);
  if (!leaving) lastBeacon_ = now();
  for (const auto& target : targets())
    // try_send: no request to keep alive; a full socket buffer just skips this beacon.
    udp_->trySend(packet, reinterpret_cast<const sockaddr*>(&target));
}

void Discovery::onPacket(std::span<const uint8_t> packet, const sockaddr* from, unsigned flags) {
  std::string address = addressText(from);
  if (flags & UV_UDP_PARTIAL) return drop(DropReason::Oversize, address);
  auto beacon = openBeacon(key_, packet);
  if (!beacon) return drop(beacon.error(), address);
  if (beacon->key == self_) {
    // Our own broadcast coming back is expected; an old one of ours sent back to us is not.
    if (!isOwnEcho(*beacon, incarnation_, sequence_)) drop(DropReason::Reflected, address);
    return;
  }
  // Sequence numbers live in memory: after we restart, only the sender's clock tells a
  // recorded beacon from a fresh one.
  if (!beaconFresh(*beacon, wallClock_())) return drop(DropReason::Stale, address);
  auto events = table_.onBeacon(*beacon, address, now());
  if (!events) return drop(events.error(), address);
  if (!events->empty()) onEvents_(*events);
  // A newcomer (or a restarted node) learns of us at once instead of at our next beacon: answer
  // with a beacon right away, at most once per 200 ms so a crowd joining costs little.
  bool newcomer = std::any_of(events->begin(), events->end(), [](const PeerEvent& e) {
    return e.kind == PeerEvent::Kind::Joined || e.kind == PeerEvent::Kind::Restarted;
  });
  if (newcomer && !eagerPending_) {
    // Within 200 ms of the last eager beacon: send one when the window ends, so newcomers
    // arriving in a burst are all answered, with one beacon for all of them.
    Millis since = now() - lastEagerBeacon_;
    eagerPending_ = true;
    eagerTimer_.start(since >= 200 ? 0 : 200 - since, 0, [this] {
      eagerPending_ = false;
      lastEagerBeacon_ = now();
      sendBeacon(false);
    });
  }
  tickPeers();
}

void Discovery::drop(DropReason reason, const std::string& from) {
  uint64_t n = ++dropped_[reason];
  Millis& last = lastDropLog_[reason];
  if (n == 1 || now() - last >= kDropLogEveryMs) {
    last = now();
    log::warning("dropped a beacon from " + from + " (" + dropReasonName(reason) + "; " +
                     std::to_string(n) + " so far)" +
                     (reason == DropReason::BadKey ? ": a node with another federation key?"
                      : reason == DropReason::Stale
                          ? ": sent more than " + std::to_string(kBeaconMaxSkewMs / 1000) +
                                " s from our clock; a replay, or a clock that is off (check NTP "
                                "on both machines)"
                          : std::string()),
                 {{"VESTA_PEER_ADDRESS", from}, {"VESTA_DROP_REASON", dropReasonName(reason)}});
  }
}

void Discovery::stop() {
  if (!udp_) return;
  if (running_) sendBeacon(true);
  running_ = false;
  timer_.stop();
  peerTimer_.stop();
  eagerTimer_.stop();
  lookups_.clear();  // answers that come now have nobody to go to
  udp_.reset();
}

}  // namespace vesta
