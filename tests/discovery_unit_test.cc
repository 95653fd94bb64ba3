// Discovery on a real loop: nodes' beacons over a real UDP socket, bound to 127.255.255.255 and
// broadcast there only (never onto the machine's network), as `-broadcast 127.255.255.255`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "discovery.h"
#include "unique_fd.h"

using namespace vesta;

namespace {

Key keyOf(uint8_t seed) {
  Key k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 7 + i);
  return k;
}

// A UDP port free on loopback now, for the nodes of one test to share.
uint16_t freeUdpPort() {
  UniqueFd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  REQUIRE(::bind(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  return ntohs(sa.sin_port);
}

struct TestNode {
  Config config;
  Identity identity = std::move(*Identity::generate());
  std::vector<PeerEvent> events;
  std::unique_ptr<Discovery> discovery;

  TestNode(uv_loop_t* loop, const std::string& name, uint16_t port, const Key& key) {
    config.name = name;
    config.dport = port;
    config.broadcast = {"127.255.255.255"};
    DiscoveryOptions options;
    // Copied from the string above, not assigned from a literal: GCC 12 on armhf warns
    // falsely (-Wrestrict, GCC PR 105651) on a 15-byte literal assigned to a std::string.
    options.bindAddress = config.broadcast.front();
    discovery = std::make_unique<Discovery>(
        loop, config, identity.publicKey(),
        [] {
          NodeSnapshot s;
          s.cores = 2;
          return s;
        },
        [this](const std::vector<PeerEvent>& e) {
          events.insert(events.end(), e.begin(), e.end());
        },
        Discovery::WallClockFn{}, options);
    REQUIRE(discovery->start(key));
  }
  bool heard(const TestNode& other, PeerEvent::Kind kind) const {
    std::string fp = other.identity.fingerprint();
    return std::any_of(events.begin(), events.end(),
                       [&](const PeerEvent& e) { return e.kind == kind && e.fingerprint == fp; });
  }
};

struct Fixture {
  uv_loop_t loop;
  uint16_t port = freeUdpPort();
  std::vector<std::unique_ptr<TestNode>> nodes;

  Fixture() { uv_loop_init(&loop); }
  ~Fixture() {
    nodes.clear();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  TestNode& add(const std::string& name, const Key& key) {
    return *nodes.emplace_back(std::make_unique<TestNode>(&loop, name, port, key));
  }
  // Each round waits for a datagram or a timer; the deadline only stops a broken test.
  template <typename Pred>
  void runUntil(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop, UV_RUN_ONCE);
    REQUIRE(done());
  }
};

}  // namespace

TEST_CASE("two nodes hear each other's beacons and one's goodbye", "[discovery]") {
  Fixture f;
  TestNode& a = f.add("a", keyOf(1));
  TestNode& b = f.add("b", keyOf(1));
  // b's first beacon goes out as it starts; a answers a newcomer at once.
  f.runUntil(
      [&] { return a.heard(b, PeerEvent::Kind::Joined) && b.heard(a, PeerEvent::Kind::Joined); });
  const Peer* seen = a.discovery->peers().find(b.identity.fingerprint());
  REQUIRE(seen);
  CHECK(seen->name == "b");
  CHECK(seen->address == "127.0.0.1");
  // Its own broadcasts come back to each, and are not counted as dropped.
  CHECK(a.discovery->dropped().empty());
  CHECK(b.discovery->dropped().empty());

  b.discovery->stop();
  f.runUntil([&] { return a.heard(b, PeerEvent::Kind::Left); });
}

TEST_CASE("a beacon under another federation's key is dropped and counted", "[discovery]") {
  Fixture f;
  TestNode& a = f.add("a", keyOf(1));
  TestNode& stranger = f.add("stranger", keyOf(2));
  f.runUntil([&] {
    auto& dropped = a.discovery->dropped();
    auto it = dropped.find(DropReason::BadKey);
    return it != dropped.end() && it->second > 0;
  });
  CHECK(a.discovery->peers().peers().empty());
  CHECK(stranger.discovery->peers().peers().empty());
}
