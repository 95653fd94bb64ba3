// Links on a real loop over real loopback TCP: two nodes' Links, and a raw peer played by the
// test for what a well-behaved vestad never does (fall silent, send garbage, link twice). The
// links' clock is the test's: nothing goes dead or times out unless the test moves it and ticks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "hello.h"
#include "links.h"
#include "unique_fd.h"

using namespace vesta;

namespace {

Key keyOf(uint8_t seed) {
  Key k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i);
  return k;
}

Bytes withLength16(const Bytes& message) {
  Bytes out = {static_cast<uint8_t>(message.size() >> 8), static_cast<uint8_t>(message.size())};
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

// One node's links, listening on 127.0.0.1 on a port the kernel picks.
struct TestNode {
  Config config;
  Identity identity;
  PeerTable peers{PeerTimings::forInterval(1000)};
  uint64_t clockMs = 1000;
  std::vector<std::pair<std::string, bool>> changes;
  std::vector<std::pair<std::string, Frame>> work;
  std::unique_ptr<Links> links;
  uint64_t sequence = 0;

  TestNode(uv_loop_t* loop, const std::string& name, const Key& key, Identity id)
      : identity(std::move(id)) {
    config.name = name;
    config.port = 0;
    LinksOptions options;
    options.listenAddress = "127.0.0.1";
    options.clock = [this] { return clockMs; };
    links = std::make_unique<Links>(
        loop, config, identity,
        [this](const std::string& fp, bool up) { changes.emplace_back(fp, up); },
        [this](const std::string& fp, const Frame& f) { work.emplace_back(fp, f); },
        [] { return ExecPolicy{}; }, options);
    REQUIRE(links->start(key, peers));
  }
  std::string fp() const { return identity.fingerprint(); }
  bool up(const TestNode& other) const { return links->info(other.fp()).has_value(); }
  // What a beacon from `other` does: it becomes an alive peer at its link port.
  void hear(TestNode& other) {
    Beacon b;
    b.key = other.identity.publicKey();
    b.incarnation = 1;
    b.sequence = ++sequence;
    b.port = other.links->port();
    b.name = other.config.name;
    REQUIRE(peers.onBeacon(b, "127.0.0.1", clockMs));
  }
};

// A peer played by the test over a plain socket: it speaks the handshake and the frames itself.
struct RawPeer {
  Identity identity;
  UniqueFd fd;
  std::unique_ptr<uv::Poll> poll;
  Bytes inbox;
  bool eof = false;
  std::optional<FrameSealer> sealer;
  std::optional<FrameOpener> opener;

  RawPeer(uv_loop_t* loop, uint16_t port, Identity id) : identity(std::move(id)) {
    fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The listener is in this process: the kernel completes the connection from its backlog.
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    poll = std::make_unique<uv::Poll>(loop, fd.get());
    poll->start(UV_READABLE, [this](int, int) {
      uint8_t buf[4096];
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) inbox.insert(inbox.end(), buf, buf + n);
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        eof = true;
        poll->stop();
      }
    });
  }
  ~RawPeer() { poll->close(); }
  void send(const Bytes& bytes) {
    REQUIRE(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  void sendFrame(const Frame& frame) { send(*sealer->seal(frame)); }
  // The frames that arrived so far.
  std::vector<Frame> frames() {
    REQUIRE(opener->feed(inbox));
    inbox.clear();
    std::vector<Frame> out;
    while (auto f = opener->next()) out.push_back(*f);
    return out;
  }
};

struct Fixture {
  uv_loop_t loop;
  std::vector<std::unique_ptr<TestNode>> nodes;
  std::vector<std::unique_ptr<RawPeer>> raws;

  Fixture() { uv_loop_init(&loop); }
  ~Fixture() {
    raws.clear();
    nodes.clear();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  static Identity fresh() { return std::move(*Identity::generate()); }
  TestNode& add(const std::string& name, const Key& key, Identity id = fresh()) {
    return *nodes.emplace_back(std::make_unique<TestNode>(&loop, name, key, std::move(id)));
  }
  // Links two nodes, whichever of them dials.
  void link(TestNode& a, TestNode& b) {
    a.hear(b);
    b.hear(a);
    a.links->reconcile();
    b.links->reconcile();
    runUntil([&] { return a.up(b) && b.up(a); });
  }
  // Runs the loop until `done`: each round waits for I/O (or the links' one-second timer),
  // whatever this machine's speed. The deadline only stops a broken test from hanging.
  template <typename Pred>
  void runUntil(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop, UV_RUN_ONCE);
    REQUIRE(done());
  }
  // A raw peer, holding the link key and `id`, that completes the handshake with `node` and
  // proves its identity, as a vestad would.
  RawPeer& rawLink(TestNode& node, const Key& key, Identity id = fresh()) {
    RawPeer& raw =
        *raws.emplace_back(std::make_unique<RawPeer>(&loop, node.links->port(), std::move(id)));
    auto label = std::span(reinterpret_cast<const uint8_t*>(kLinkLabel.data()), kLinkLabel.size());
    NoiseHandshake handshake(NoiseHandshake::Role::Initiator, key, label);
    raw.send(withLength16(*handshake.writeMessage({})));
    size_t len = 0;
    runUntil([&] {
      if (raw.inbox.size() >= 2) len = size_t{raw.inbox[0]} << 8 | raw.inbox[1];
      return raw.inbox.size() >= 2 + len && len > 0;
    });
    REQUIRE(handshake.readMessage(std::span(raw.inbox).subspan(2, len)));
    raw.inbox.erase(raw.inbox.begin(), raw.inbox.begin() + 2 + static_cast<long>(len));
    auto keys = handshake.split();
    raw.sealer.emplace(keys.send);
    raw.opener.emplace(keys.recv);
    Hello hello;
    hello.key = raw.identity.publicKey();
    auto sig = raw.identity.sign(helloMessage(true, keys.hash));
    std::copy_n(sig.begin(), hello.signature.size(), hello.signature.begin());
    hello.exec = ExecPolicy{};
    raw.sendFrame({FrameType::Hello, encodeHello(hello)});
    std::vector<Frame> got;
    runUntil([&] {
      auto more = raw.frames();
      got.insert(got.end(), more.begin(), more.end());
      return !got.empty();
    });
    CHECK(got[0].type == FrameType::Hello);
    return raw;
  }
  // A raw peer whose link `node` holds up.
  RawPeer& rawLinked(TestNode& node, const Key& key) {
    RawPeer& raw = rawLink(node, key);
    runUntil([&] { return node.links->info(raw.identity.fingerprint()).has_value(); });
    return raw;
  }
};

}  // namespace

TEST_CASE("two nodes with the same key link up and exchange work frames", "[links]") {
  Fixture f;
  Key key = keyOf(1);
  TestNode& a = f.add("a", key);
  TestNode& b = f.add("b", key);
  f.link(a, b);
  CHECK(a.changes == std::vector<std::pair<std::string, bool>>{{b.fp(), true}});
  CHECK(b.changes == std::vector<std::pair<std::string, bool>>{{a.fp(), true}});
  // Each has the other's exec policy from its Hello.
  CHECK(a.links->peerExecPolicy(b.fp()).has_value());
  CHECK(b.links->peerExecPolicy(a.fp()).has_value());

  Frame offer{FrameType::Offer, {1, 2, 3, 4}};
  REQUIRE(a.links->send(b.fp(), offer));
  f.runUntil([&] { return !b.work.empty(); });
  CHECK(b.work[0].first == a.fp());
  CHECK(b.work[0].second == offer);
  Frame accept{FrameType::Accept, Bytes(100'000, 7)};  // larger than one read
  REQUIRE(b.links->send(a.fp(), accept));
  f.runUntil([&] { return !a.work.empty(); });
  CHECK(a.work[0] == std::pair(b.fp(), accept));
  CHECK(a.links->refused() == 0);
  CHECK(b.links->refused() == 0);
}

TEST_CASE("a node with another federation key never links and is counted", "[links]") {
  Fixture f;
  TestNode& a = f.add("a", keyOf(1));
  TestNode& b = f.add("b", keyOf(2));
  a.hear(b);
  b.hear(a);
  TestNode& dialer = a.fp() < b.fp() ? a : b;
  TestNode& callee = a.fp() < b.fp() ? b : a;
  dialer.links->reconcile();
  callee.links->reconcile();
  f.runUntil([&] { return callee.links->refused() == 1; });
  // It dials again once its refused connection has closed (its backoff cleared, as a fresh
  // beacon after silence does), and is refused again.
  f.runUntil([&] {
    dialer.links->resetBackoff(callee.fp());
    dialer.links->reconcile();
    return callee.links->refused() == 2;
  });
  CHECK_FALSE(a.up(b));
  CHECK_FALSE(b.up(a));
  CHECK(a.changes.empty());
  CHECK(b.changes.empty());
  CHECK_FALSE(a.links->send(b.fp(), {FrameType::Offer, {}}));
}

TEST_CASE("a link whose peer falls silent is dropped on the links' clock", "[links]") {
  Fixture f;
  TestNode& a = f.add("a", keyOf(1));
  RawPeer& raw = f.rawLinked(a, keyOf(1));
  std::string rawFp = raw.identity.fingerprint();
  // The raw peer says nothing more: no pongs, no pings. Six seconds of silence are allowed.
  a.clockMs += 5000;
  a.links->tick();
  CHECK(a.links->info(rawFp).has_value());
  a.clockMs += 2000;
  a.links->tick();
  CHECK_FALSE(a.links->info(rawFp).has_value());
  CHECK(a.changes == std::vector<std::pair<std::string, bool>>{{rawFp, true}, {rawFp, false}});
  f.runUntil([&] { return raw.eof; });
  // Before the drop it was pinged, as a live link is.
  bool pinged = false;
  for (auto& frame : raw.frames()) pinged |= frame.type == FrameType::Ping;
  CHECK(pinged);
}

TEST_CASE("a second link between the same pair is closed and the first kept", "[links]") {
  Fixture f;
  Key key = keyOf(1);
  Identity twinOfA = f.fresh();
  auto idText = twinOfA.toJson("a");
  TestNode& a = f.add("a", key, std::move(twinOfA));
  TestNode& b = f.add("b", key);
  f.link(a, b);
  // Something holding a's identity links to b again (a restarted a whose old link b still
  // holds, say): b has a link to that node already and closes the new one.
  RawPeer& twin = f.rawLink(b, key, std::move(*Identity::fromJson(idText, "test")));
  f.runUntil([&] { return twin.eof; });
  CHECK(b.changes == std::vector<std::pair<std::string, bool>>{{a.fp(), true}});
  CHECK(b.up(a));
  REQUIRE(a.links->send(b.fp(), {FrameType::Offer, {9}}));
  f.runUntil([&] { return !b.work.empty(); });
  CHECK(b.work[0].first == a.fp());
}

TEST_CASE("a frame too large or malformed drops the link", "[links]") {
  Fixture f;
  TestNode& a = f.add("a", keyOf(1));
  RawPeer& raw = f.rawLinked(a, keyOf(1));
  std::string rawFp = raw.identity.fingerprint();
  SECTION("a record longer than any frame, refused before it arrives") {
    raw.send({0x7f, 0xff, 0xff, 0xff});
  }
  SECTION("a record that does not authenticate") {
    Bytes garbage(40, 0x5a);
    garbage[0] = garbage[1] = garbage[2] = 0;
    garbage[3] = 36;
    raw.send(garbage);
  }
  SECTION("a second identity proof") {
    raw.sendFrame(
        {FrameType::Hello, encodeHello(Hello{raw.identity.publicKey(), {}, ExecPolicy{}})});
  }
  f.runUntil([&] { return raw.eof; });
  CHECK_FALSE(a.links->info(rawFp).has_value());
  CHECK(a.changes == std::vector<std::pair<std::string, bool>>{{rawFp, true}, {rawFp, false}});
  CHECK(a.work.empty());
}

TEST_CASE("a handshake message too large is refused before it is read", "[links]") {
  Fixture f;
  TestNode& a = f.add("a", keyOf(1));
  auto raw = std::make_unique<RawPeer>(&f.loop, a.links->port(), f.fresh());
  raw->send({0x01, 0x01});  // announces 257 bytes; a handshake message is at most 256
  f.runUntil([&] { return raw->eof; });
  CHECK(a.links->refused() == 1);
  CHECK(a.changes.empty());
  f.raws.push_back(std::move(raw));
}
