#include "links.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "hello.h"
#include "log.h"

namespace vesta {
namespace {

constexpr uint64_t kTickMs = 1000;       // keepalive ping and housekeeping
constexpr uint64_t kDeadAfterMs = 6000;  // no frame for this long: the link is dead
constexpr uint64_t kHandshakeLimitMs = 5000;
constexpr uint64_t kSilentLimitMs = 1000;  // an accepted connection that has sent nothing yet
constexpr uint64_t kFirstBackoffMs = 1000, kMaxBackoffMs = 30000;
constexpr size_t kMaxHandshakeMessage = 256;
// Accepted connections that have not shown the link key yet. A bounded number, so a flood of
// half-open connections from the LAN costs bounded memory; when full, a new one evicts the one
// that has had its chance (lib/handshake_slots), so the flood cannot keep a member out. Each
// costs about a kilobyte; more slots give a member's connection longer to speak under a flood
// (256 at 300 new connections a second: almost a second, which a loaded or ASan build needed).
constexpr size_t kHandshakeSlots = 256;
// The kernel's accept queue: deep enough that a burst of connections (a household's nodes all
// redialling after a restart, or a flood) is queued rather than dropped and retried a second later.
constexpr int kListenBacklog = 128;

}  // namespace

struct Links::Conn {
  explicit Conn(uv_loop_t* loop) : tcp(loop) {}
  uv::Tcp tcp;
  bool dialer = false;
  enum class Stage { Connecting, Handshake, AwaitHello, Up, Closing } stage = Stage::Connecting;
  std::string expectFp;  // a dialer knows whom it called
  std::string peerFp, peerName;
  std::unique_ptr<NoiseHandshake> handshake;
  std::array<uint8_t, 32> hash{};
  std::optional<FrameSealer> sealer;
  std::optional<FrameOpener> opener;
  Bytes handshakeBytes;
  uint64_t openedAt = 0, lastHeard = 0;
  double rttMs = -1;
  std::optional<ExecPolicy> peerPolicy;  // from its Hello
  uint64_t slot = 0;  // its id in the handshake slots while it holds one (accepted, not proven)
};

Links::Links(uv_loop_t* loop, const Config& config, const Identity& identity, ChangeFn onChange,
             WorkFn onWork, PolicyFn policy, LinksOptions options)
    : loop_(loop),
      config_(config),
      identity_(identity),
      onChange_(std::move(onChange)),
      onWork_(std::move(onWork)),
      policy_(std::move(policy)),
      options_(std::move(options)),
      timer_(loop),
      reap_(loop),
      slots_({kHandshakeSlots, kSilentLimitMs, kHandshakeLimitMs}) {}

Links::~Links() {
  stop();
}

Result<void> Links::start(const Key& linkKey, const PeerTable& peers) {
  key_ = linkKey;
  peers_ = &peers;
  listener_.emplace(loop_);
  sockaddr_in any{};
  uv_ip4_addr(options_.listenAddress.c_str(), static_cast<int>(config_.port), &any);
  int r = listener_->bind(reinterpret_cast<const sockaddr*>(&any));
  if (r == 0)
    r = listener_->listen(kListenBacklog, [this](int status) {
      if (status == 0) accept();
    });
  if (r != 0) {
    listener_.reset();
    return fail("link port " + std::to_string(config_.port) + "/tcp: " + uv_strerror(r) +
                "; pick another with -port");
  }
  running_ = true;
  timer_.start(kTickMs, kTickMs, [this] { tick(); });
  return {};
}

void Links::stop() {
  if (!running_) return;
  running_ = false;
  timer_.stop();
  for (Conn* c : open()) {
    if (c->stage == Conn::Stage::Up) sendFrame(c, {FrameType::Bye, {}});
    close(c, "vestad is stopping");
  }
  listener_.reset();
}

uint16_t Links::port() {
  sockaddr_storage bound{};
  int len = sizeof bound;
  if (!listener_ ||
      uv_tcp_getsockname(listener_->get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0 ||
      bound.ss_family != AF_INET)
    return 0;
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

std::vector<Links::Conn*> Links::open() const {
  std::vector<Conn*> out;
  for (const auto& [c, owned] : conns_) out.push_back(c);
  return out;
}

std::optional<LinkInfo> Links::info(const std::string& fp) const {
  auto it = up_.find(fp);
  if (it == up_.end()) return std::nullopt;
  return LinkInfo{true, it->second->rttMs};
}

std::optional<ExecPolicy> Links::peerExecPolicy(const std::string& fp) const {
  auto it = up_.find(fp);
  if (it == up_.end()) return std::nullopt;
  return it->second->peerPolicy;
}

bool Links::send(const std::string& fp, const Frame& frame) {
  auto it = up_.find(fp);
  if (it == up_.end()) return false;
  Conn* c = it->second;  // a failed write closes it (and erases `it`), but frees it only later
  sendFrame(c, frame);
  return c->stage == Conn::Stage::Up;
}

void Links::reconcile() {
  if (!running_ || !peers_) return;
  std::string mine = identity_.fingerprint();
  uint64_t at = now();
  for (const auto& [fp, peer] : peers_->peers()) {
    // Exactly one side dials: the lower fingerprint. Both dialling at once cannot happen, so
    // there is never a pair of links to break a tie between.
    if (peer.state != PeerState::Alive || !(mine < fp) || up_.count(fp)) continue;
    const std::string& target = fp;  // clang 14 cannot capture a structured binding
    bool dialling = std::any_of(conns_.begin(), conns_.end(), [&](const auto& c) {
      return c.first->dialer && c.first->expectFp == target;
    });
    if (dialling || at < retryAt_[fp]) continue;
    dial(peer);
  }
}

void Links::resetBackoff(const std::string& fp) {
  backoff_.erase(fp);
  retryAt_.erase(fp);
}

void Links::dial(const Peer& peer) {
  Conn* c = adopt();
  c->dialer = true;
  c->expectFp = peer.fingerprint;
  c->peerName = peer.name;
  sockaddr_in to{};
  uv_ip4_addr(peer.address.c_str(), peer.port, &to);
  int r = c->tcp.connect(reinterpret_cast<const sockaddr*>(&to), [this, c](int status) {
    if (status != 0) return close(c, std::string("connect: ") + uv_strerror(status));
    uv_tcp_nodelay(c->tcp.get(), 1);
    c->stage = Conn::Stage::Handshake;
    c->handshake = std::make_unique<NoiseHandshake>(
        NoiseHandshake::Role::Initiator, key_,
        std::span(reinterpret_cast<const uint8_t*>(kLinkLabel.data()), kLinkLabel.size()));
    auto m1 = c->handshake->writeMessage({});
    if (!m1) return close(c, m1.error());
    Bytes out = {static_cast<uint8_t>(m1->size() >> 8), static_cast<uint8_t>(m1->size())};
    out.insert(out.end(), m1->begin(), m1->end());
    sendRaw(c, std::move(out));
    startReading(c);
  });
  if (r != 0) close(c, std::string("connect: ") + uv_strerror(r));
}

Links::Conn* Links::adopt() {
  auto owned = std::make_unique<Conn>(loop_);
  Conn* c = owned.get();
  c->openedAt = c->lastHeard = now();
  conns_.emplace(c, std::move(owned));
  return c;
}

void Links::accept() {
  Conn* c = adopt();
  if (listener_->accept(c->tcp) != 0) return close(c, "accept failed");
  // Never refuse the newcomer: it may be the member the flood is keeping out.
  makeRoom();
  sockaddr_storage from{};
  int len = sizeof from;
  uint32_t address = 0;
  if (uv_tcp_getpeername(c->tcp.get(), reinterpret_cast<sockaddr*>(&from), &len) == 0 &&
      from.ss_family == AF_INET)
    address = ntohl(reinterpret_cast<sockaddr_in*>(&from)->sin_addr.s_addr);
  c->slot = nextId_++;
  slots_.add(c->slot, address, c->openedAt);
  pending_[c->slot] = c;
  uv_tcp_nodelay(c->tcp.get(), 1);
  c->stage = Conn::Stage::Handshake;
  c->handshake = std::make_unique<NoiseHandshake>(
      NoiseHandshake::Role::Responder, key_,
      std::span(reinterpret_cast<const uint8_t*>(kLinkLabel.data()), kLinkLabel.size()));
  startReading(c);
}

void Links::makeRoom() {
  // Each round takes one connection out of the slots (proven, closed or evicted), so it ends.
  while (slots_.full()) {
    auto id = slots_.victim();
    if (!id) return;
    Conn* victim = pending_.at(*id);
    drain(victim);
    if (victim->slot != *id) continue;  // it proved the key, or closed, while drained
    ++refused_;
    close(victim, "evicted from the handshake slots by a newer connection");
  }
}

void Links::drain(Conn* c) {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(c->tcp.get()), &fd) != 0) return;
  // A handshake message is at most 2 + 256 bytes: a few reads settle it one way or the other.
  for (int i = 0; i < 4 && c->stage == Conn::Stage::Handshake; ++i) {
    uint8_t buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      onRead(c, std::span<const uint8_t>(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) close(c, "closed by peer");
    return;  // nothing waiting (EAGAIN), or an error that libuv's own read will report
  }
}

void Links::startReading(Conn* c) {
  c->tcp.readStart(readBuffer_, [this, c](int status, std::span<const uint8_t> bytes) {
    if (status < 0) return close(c, status == UV_EOF ? "closed by peer" : uv_strerror(status));
    onRead(c, bytes);
  });
}

void Links::onRead(Conn* c, std::span<const uint8_t> bytes) {
  if (c->stage == Conn::Stage::Closing) return;
  c->lastHeard = now();
  if (c->slot) slots_.heard(c->slot);
  if (c->stage == Conn::Stage::Handshake) {
    c->handshakeBytes.insert(c->handshakeBytes.end(), bytes.begin(), bytes.end());
    if (c->handshakeBytes.size() < 2) return;
    size_t len = size_t{c->handshakeBytes[0]} << 8 | c->handshakeBytes[1];
    if (len > kMaxHandshakeMessage) {
      ++refused_;
      return close(c, "handshake message too large");
    }
    if (c->handshakeBytes.size() < 2 + len) return;
    Bytes rest(c->handshakeBytes.begin() + 2 + static_cast<long>(len), c->handshakeBytes.end());
    onHandshakeMessage(c, std::span(c->handshakeBytes).subspan(2, len));
    c->handshakeBytes.clear();
    if (c->stage == Conn::Stage::Closing || rest.empty()) return;
    auto fed = c->opener->feed(rest);  // frames that followed in the same read
    if (!fed) return close(c, std::string("bad frame: ") + frameErrorName(fed.error()));
  } else {
    auto fed = c->opener->feed(bytes);
    if (!fed) return close(c, std::string("bad frame: ") + frameErrorName(fed.error()));
  }
  while (c->stage != Conn::Stage::Closing) {
    auto frame = c->opener->next();
    if (!frame) break;
    onFrame(c, *frame);
  }
}

void Links::onHandshakeMessage(Conn* c, std::span<const uint8_t> message) {
  auto payload = c->handshake->readMessage(message);
  if (!payload) {
    // Another federation's node, or garbage: close without a word, revealing nothing.
    ++refused_;
    return close(c, payload.error());
  }
  if (!c->dialer) {
    auto m2 = c->handshake->writeMessage({});
    if (!m2) return close(c, m2.error());
    Bytes out = {static_cast<uint8_t>(m2->size() >> 8), static_cast<uint8_t>(m2->size())};
    out.insert(out.end(), m2->begin(), m2->end());
    sendRaw(c, std::move(out));
  }
  // Its first message authenticated under the link key: a member, out of the slots' reach.
  if (c->slot) {
    slots_.remove(c->slot);
    pending_.erase(c->slot);
    c->slot = 0;
  }
  auto keys = c->handshake->split();
  c->hash = keys.hash;
  c->sealer.emplace(keys.send);
  c->opener.emplace(keys.recv);
  OPENSSL_cleanse(keys.send.data(), keys.send.size());
  OPENSSL_cleanse(keys.recv.data(), keys.recv.size());
  c->handshake.reset();
  c->stage = Conn::Stage::AwaitHello;
  sendHello(c);
}

void Links::sendHello(Conn* c) {
  Hello hello;
  hello.key = identity_.publicKey();
  auto sig = identity_.sign(helloMessage(c->dialer, c->hash));
  std::copy_n(sig.begin(), std::min(sig.size(), hello.signature.size()), hello.signature.begin());
  hello.exec = policy_ ? policy_() : ExecPolicy{};
  sendFrame(c, {FrameType::Hello, encodeHello(hello)});
}

void Links::onFrame(Conn* c, const Frame& f) {
  if (c->stage == Conn::Stage::AwaitHello) {
    if (f.type != FrameType::Hello) {
      ++refused_;
      return close(c, "expected an identity proof first");
    }
    auto hello = decodeHello(f.payload);
    if (!hello) {
      ++refused_;
      return close(c, hello.error());
    }
    const PublicKey& key = hello->key;
    if (!verifySignature(key, helloMessage(!c->dialer, c->hash), hello->signature)) {
      ++refused_;
      return close(c, "identity proof does not verify");
    }
    std::string fp = fingerprintOf(key);
    if (c->dialer && fp != c->expectFp) {
      ++refused_;
      return close(c, "the node at that address is " + fp + ", not " + c->expectFp);
    }
    if (fp == identity_.fingerprint()) return close(c, "connected to ourselves");
    if (up_.count(fp)) return close(c, "already linked");
    c->peerFp = fp;
    c->peerPolicy = hello->exec;
    if (const Peer* p = peers_->find(fp)) c->peerName = p->name;
    c->stage = Conn::Stage::Up;
    up_[fp] = c;
    backoff_.erase(fp);
    log::info("link to " + (c->peerName.empty() ? fp : c->peerName) + " up (" +
                  (c->dialer ? "dialled" : "accepted") + ")",
              {{"VESTA_PEER", fp}});
    onChange_(fp, true);
    return;
  }
  switch (f.type) {
    case FrameType::Ping:
      sendFrame(c, {FrameType::Pong, f.payload});
      break;
    case FrameType::Pong:
      if (f.payload.size() == 8) {
        uint64_t sent = 0;
        for (int i = 0; i < 8; ++i) sent |= uint64_t{f.payload[i]} << (8 * i);
        // uv_now has millisecond resolution; hrtime gives the RTT in fractions of one.
        c->rttMs = static_cast<double>(uv_hrtime() / 1000 - sent) / 1000.0;
      }
      break;
    case FrameType::Bye:
      close(c, "peer said goodbye");
      break;
    case FrameType::Hello:
      close(c, "a second identity proof");
      break;
    default:
      onWork_(c->peerFp, f);
      break;
  }
}

void Links::sendRaw(Conn* c, Bytes data) {
  if (c->stage == Conn::Stage::Closing) return;
  if (int r = c->tcp.write(std::move(data)); r != 0)
    close(c, std::string("write: ") + uv_strerror(r));
}

void Links::sendFrame(Conn* c, const Frame& frame) {
  if (!c->sealer) return;
  auto record = c->sealer->seal(frame);
  if (!record) return close(c, std::string("cannot seal: ") + frameErrorName(record.error()));
  sendRaw(c, std::move(*record));
}

void Links::close(Conn* c, const std::string& why) {
  if (c->stage == Conn::Stage::Closing) return;
  bool wasUp = c->stage == Conn::Stage::Up;
  c->stage = Conn::Stage::Closing;
  if (wasUp) {
    up_.erase(c->peerFp);
    log::info("link to " + (c->peerName.empty() ? c->peerFp : c->peerName) + " down: " + why,
              {{"VESTA_PEER", c->peerFp}});
    onChange_(c->peerFp, false);
  }
  if (c->dialer) {
    // Redial with exponential backoff, so an unreachable peer costs little.
    uint64_t& b = backoff_[c->expectFp];
    b = wasUp ? kFirstBackoffMs : std::min(kMaxBackoffMs, b ? b * 2 : kFirstBackoffMs);
    retryAt_[c->expectFp] = now() + b;
  }
  if (c->slot) {
    slots_.remove(c->slot);
    pending_.erase(c->slot);
    c->slot = 0;
  }
  c->tcp.close();
  // Freed on the next loop iteration, never here: we may be inside one of its own callbacks.
  auto it = conns_.find(c);
  closed_.push_back(std::move(it->second));
  conns_.erase(it);
  reap_.start(0, 0, [this] { closed_.clear(); });
}

void Links::tick() {
  uint64_t at = now();
  // Silent or overdue connections in the slots: give each a last look at what has arrived.
  for (uint64_t id : slots_.expired(at)) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    Conn* c = it->second;
    drain(c);
    if (c->slot != id) continue;
    ++refused_;
    close(c,
          at - c->openedAt > kHandshakeLimitMs ? "handshake timed out" : "sent nothing within 1 s");
  }
  for (Conn* c : open()) {
    if (c->stage == Conn::Stage::Up) {
      if (at - c->lastHeard > kDeadAfterMs) {
        close(c, "no keepalive for " + std::to_string(kDeadAfterMs / 1000) + " s");
        continue;
      }
      uint64_t us = uv_hrtime() / 1000;
      Bytes stamp(8);
      for (int i = 0; i < 8; ++i) stamp[i] = static_cast<uint8_t>(us >> (8 * i));
      sendFrame(c, {FrameType::Ping, std::move(stamp)});
    } else if (at - c->openedAt > kHandshakeLimitMs) {
      close(c, "handshake timed out");
    }
  }
  reconcile();
}

}  // namespace vesta
