// Peer links: one TCP connection per pair of nodes, opened by the node with the lower
// fingerprint, secured by the Noise NNpsk0 handshake under the link key, then each side proves
// its Ed25519 identity over the handshake hash. Keepalive pings measure RTT; a dead link closes
// and is redialled with backoff. Work frames go to the coordinator and the lender.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config.h"
#include "exec_policy.h"
#include "frame.h"
#include "handshake_slots.h"
#include "identity.h"
#include "noise.h"
#include "peertable.h"
#include "result.h"
#include "uvpp.h"

namespace vesta {

// What a test changes; vestad takes the defaults.
struct LinksOptions {
  std::string listenAddress = "0.0.0.0";  // tests listen on 127.0.0.1 only
  // The clock (ms) of keepalives, handshake limits and redial backoff; empty: the loop's uv_now.
  // Tests move it and call tick(), so nothing times out behind their back on a slow machine.
  std::function<uint64_t()> clock;
};

struct LinkInfo {
  bool up = false;
  double rtt_ms = -1;  // -1 until the first pong
};

class Links {
 public:
  using ChangeFn = std::function<void(const std::string& fingerprint, bool up)>;
  // Work frames (Offer..Release) from an authenticated peer; the links handle the rest.
  using WorkFn = std::function<void(const std::string& fingerprint, const Frame& frame)>;
  // `policy`: this node's exec policy, sent in every Hello.
  using PolicyFn = std::function<ExecPolicy()>;
  Links(uv_loop_t* loop, const Config& config, const Identity& identity, ChangeFn onChange,
        WorkFn onWork, PolicyFn policy, LinksOptions options = {});
  ~Links();

  // Listens on -port and keeps links under `linkKey` to the peers in `peers`.
  Result<void> start(const Key& linkKey, const PeerTable& peers);
  // Says goodbye on every link and closes everything. Idempotent.
  void stop();
  // Dials every alive peer this node is responsible for dialling and not linked yet.
  void reconcile();
  // The peer was heard again after silence, or restarted: whatever kept its link from coming up
  // may be gone, so the next dial goes out now rather than after a long backoff.
  void resetBackoff(const std::string& fingerprint);

  std::optional<LinkInfo> info(const std::string& fingerprint) const;
  // The exec policy the peer sent in its Hello; nullopt with no link.
  std::optional<ExecPolicy> peerExecPolicy(const std::string& fingerprint) const;
  // Sends a frame on the link to `fingerprint`; false when there is no link up to it.
  bool send(const std::string& fingerprint, const Frame& frame);
  // Connections refused during the handshake (wrong key, bad proof), for `vesta status`.
  uint64_t refused() const { return refused_; }
  // The port listened on (-port, or the one the kernel chose for port 0); 0 before start().
  uint16_t port();
  // Housekeeping, every second on a timer: keepalive pings, dead links and handshakes that ran
  // out of time closed, due dials made.
  void tick();

  struct Conn;  // one TCP connection, in whatever stage (private to links.cc)

 private:
  void accept();
  // A new connection, owned by conns_ until it closes.
  Conn* adopt();
  // The open connections, as a list that closing one of them leaves valid.
  std::vector<Conn*> open() const;
  // Reads what has already arrived on an accepted connection in its handshake, so a member's
  // first message waiting in the socket is judged before the connection could be evicted.
  void drain(Conn* conn);
  // Closes connections in the handshake slots until a new one fits.
  void makeRoom();
  void dial(const Peer& peer);
  void startReading(Conn* conn);
  void onRead(Conn* conn, std::span<const uint8_t> bytes);
  void onHandshakeMessage(Conn* conn, std::span<const uint8_t> message);
  void onFrame(Conn* conn, const Frame& frame);
  void sendRaw(Conn* conn, Bytes data);
  void sendFrame(Conn* conn, const Frame& frame);
  void sendHello(Conn* conn);
  void close(Conn* conn, const std::string& why);
  uint64_t now() const { return options_.clock ? options_.clock() : uv_now(loop_); }

  uv_loop_t* loop_;
  const Config& config_;
  const Identity& identity_;
  ChangeFn onChange_;
  WorkFn onWork_;
  PolicyFn policy_;
  LinksOptions options_;
  Key key_{};
  const PeerTable* peers_ = nullptr;
  std::optional<uv::Tcp> listener_;
  std::array<char, 65536> readBuffer_{};  // one read at a time on the loop thread
  uv::Timer timer_;
  std::map<Conn*, std::unique_ptr<Conn>> conns_;  // every open connection
  // Closed connections, freed on the next loop iteration, never inside one of their callbacks.
  std::vector<std::unique_ptr<Conn>> closed_;
  uv::Timer reap_;
  HandshakeSlots slots_;               // accepted connections that have not shown the link key yet
  std::map<uint64_t, Conn*> pending_;  // their ids -> connections
  uint64_t nextId_ = 1;
  std::map<std::string, Conn*> up_;          // fingerprint -> its established link
  std::map<std::string, uint64_t> retryAt_;  // fingerprint -> earliest next dial (loop ms)
  std::map<std::string, uint64_t> backoff_;  // fingerprint -> current backoff (ms)
  uint64_t refused_ = 0;
  bool running_ = false;
};

}  // namespace vesta
