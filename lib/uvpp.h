// RAII owners of libuv handles. A handle that was initialised must be uv_close'd and its memory
// freed only in the close callback; these owners do exactly that, so destroying one from inside
// its own callback is safe (the callback's storage lives until libuv calls back on close). Once
// closed, an owner calls none of its callbacks again, not even the cancellations libuv reports
// for a pending connect or write: whatever they would touch may be gone by then.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vesta::uv {

template <typename H, typename Callbacks = std::function<void(int, int)>>
class Handle {
 public:
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { close(); }

  // Closes the handle now; the storage goes when libuv calls back. Idempotent.
  void close() {
    if (!box_) return;
    uv_close(reinterpret_cast<uv_handle_t*>(&box_->handle),
             [](uv_handle_t* h) { delete static_cast<Box*>(h->data); });
    box_ = nullptr;
  }
  H* get() { return box_ ? &box_->handle : nullptr; }
  explicit operator bool() const { return box_ != nullptr; }

 protected:
  struct Box {
    H handle;
    Callbacks callback;  // by default (status, events); unused values are 0
  };
  Handle() : box_(new Box{}) { box_->handle.data = box_; }
  template <typename T>
  static Box* boxOf(T* h) {
    return static_cast<Box*>(h->data);
  }
  // Whether a callback of `h` may still run: not once its owner closed it.
  template <typename T>
  static bool live(T* h) {
    return !uv_is_closing(reinterpret_cast<uv_handle_t*>(h));
  }
  Box* box_;
};

class Timer : public Handle<uv_timer_t> {
 public:
  explicit Timer(uv_loop_t* loop) { uv_timer_init(loop, &box_->handle); }
  // Calls `fn` after `timeoutMs`, then every `repeatMs` when that is not 0.
  void start(uint64_t timeoutMs, uint64_t repeatMs, std::function<void()> fn) {
    box_->callback = [fn = std::move(fn)](int, int) { fn(); };
    uv_timer_start(
        &box_->handle, [](uv_timer_t* t) { boxOf(t)->callback(0, 0); }, timeoutMs, repeatMs);
  }
  void stop() { uv_timer_stop(&box_->handle); }
};

class Signal : public Handle<uv_signal_t> {
 public:
  explicit Signal(uv_loop_t* loop) { uv_signal_init(loop, &box_->handle); }
  void start(int signum, std::function<void()> fn) {
    box_->callback = [fn = std::move(fn)](int, int) { fn(); };
    uv_signal_start(
        &box_->handle, [](uv_signal_t* s, int) { boxOf(s)->callback(0, 0); }, signum);
  }
};

// Wakes the loop from any thread; many send() calls may coalesce into one callback.
class Async : public Handle<uv_async_t> {
 public:
  Async(uv_loop_t* loop, std::function<void()> fn) {
    box_->callback = [fn = std::move(fn)](int, int) { fn(); };
    uv_async_init(loop, &box_->handle, [](uv_async_t* a) { boxOf(a)->callback(0, 0); });
  }
  void send() { uv_async_send(&box_->handle); }
};

class Poll : public Handle<uv_poll_t> {
 public:
  Poll(uv_loop_t* loop, int fd) { uv_poll_init(loop, &box_->handle, fd); }
  // `fn(status, events)` when the fd is ready for `events` (UV_READABLE | UV_WRITABLE).
  void start(int events, std::function<void(int, int)> fn) {
    box_->callback = std::move(fn);
    uv_poll_start(&box_->handle, events,
                  [](uv_poll_t* p, int status, int ev) { boxOf(p)->callback(status, ev); });
  }
  void stop() { uv_poll_stop(&box_->handle); }
};

class Prepare : public Handle<uv_prepare_t> {
 public:
  explicit Prepare(uv_loop_t* loop) { uv_prepare_init(loop, &box_->handle); }
  // Runs `fn` on every loop iteration, right before the loop waits for I/O.
  void start(std::function<void()> fn) {
    box_->callback = [fn = std::move(fn)](int, int) { fn(); };
    uv_prepare_start(&box_->handle, [](uv_prepare_t* p) { boxOf(p)->callback(0, 0); });
  }
};

// What a Tcp keeps with its handle, freed with it: its callbacks, the buffer it reads into, and
// its connect request (libuv reports a cancelled connect before the close callback).
struct TcpCallbacks {
  uv_connect_t connectReq;
  std::function<void(int)> connected, connection;
  std::function<void(int, std::span<const uint8_t>)> read;
  std::span<char> readBuffer;
};

// A TCP socket: a listener or one connection. Calls return libuv's status (0 or a UV_E* error).
class Tcp : public Handle<uv_tcp_t, TcpCallbacks> {
 public:
  explicit Tcp(uv_loop_t* loop) { uv_tcp_init(loop, &box_->handle); }

  int bind(const sockaddr* address) { return uv_tcp_bind(&box_->handle, address, 0); }
  // `fn(status)` for each connection waiting to be accept()ed.
  int listen(int backlog, std::function<void(int)> fn) {
    box_->callback.connection = std::move(fn);
    return uv_listen(stream(), backlog, [](uv_stream_t* s, int status) {
      if (live(s)) boxOf(s)->callback.connection(status);
    });
  }
  // Takes a waiting connection of this listener into `client`, a fresh Tcp.
  int accept(Tcp& client) { return uv_accept(stream(), client.stream()); }
  // `fn(status)` once connected, or not; never when closed first.
  int connect(const sockaddr* to, std::function<void(int)> fn) {
    box_->callback.connected = std::move(fn);
    box_->callback.connectReq.data = box_;
    return uv_tcp_connect(&box_->callback.connectReq, &box_->handle, to,
                          [](uv_connect_t* req, int status) {
                            if (live(req->handle)) boxOf(req)->callback.connected(status);
                          });
  }
  // Reads into `buffer`, the caller's and reused by every read (nothing is copied or
  // allocated), and calls `fn(0, bytes)` with what arrived, or `fn(error, {})`: UV_EOF at the
  // end.
  int readStart(std::span<char> buffer, std::function<void(int, std::span<const uint8_t>)> fn) {
    box_->callback.read = std::move(fn);
    box_->callback.readBuffer = buffer;
    return uv_read_start(
        stream(),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          std::span<char> b = boxOf(h)->callback.readBuffer;
          *buf = uv_buf_init(b.data(), static_cast<unsigned>(b.size()));
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
          if (nread == 0 || !live(s)) return;  // 0: nothing this time (EAGAIN)
          if (nread < 0) return boxOf(s)->callback.read(static_cast<int>(nread), {});
          boxOf(s)->callback.read(0, std::span(reinterpret_cast<const uint8_t*>(buf->base),
                                               static_cast<size_t>(nread)));
        });
  }
  int readStop() { return uv_read_stop(stream()); }
  // Queues `data` (moved, not copied: it lives in the request until written). `done(status)`,
  // when given, follows the write.
  int write(std::vector<uint8_t> data, std::function<void(int)> done = {}) {
    struct Request {
      uv_write_t req;
      std::vector<uint8_t> data;
      std::function<void(int)> done;
    };
    auto w = std::make_unique<Request>(Request{{}, std::move(data), std::move(done)});
    w->req.data = w.get();
    uv_buf_t buf =
        uv_buf_init(reinterpret_cast<char*>(w->data.data()), static_cast<unsigned>(w->data.size()));
    int r = uv_write(&w->req, stream(), &buf, 1, [](uv_write_t* req, int status) {
      std::unique_ptr<Request> finished(static_cast<Request*>(req->data));
      if (finished->done && live(req->handle)) finished->done(status);
    });
    if (r == 0) w.release();  // the write callback frees it
    return r;
  }

 private:
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&box_->handle); }
};

// What a Udp keeps with its handle: its receive callback and the buffer it receives into.
struct UdpCallbacks {
  std::function<void(std::span<const uint8_t>, const sockaddr*, unsigned)> received;
  std::span<char> buffer;
};

// A UDP socket. Calls return libuv's status (0 or a UV_E* error).
class Udp : public Handle<uv_udp_t, UdpCallbacks> {
 public:
  explicit Udp(uv_loop_t* loop) { uv_udp_init(loop, &box_->handle); }

  int bind(const sockaddr* address, unsigned flags) {
    return uv_udp_bind(&box_->handle, address, flags);
  }
  // `fn(bytes, from, flags)` for each datagram, read into `buffer` (the caller's, reused);
  // libuv's empty reads and receive errors are not passed on.
  int recvStart(std::span<char> buffer,
                std::function<void(std::span<const uint8_t>, const sockaddr*, unsigned)> fn) {
    box_->callback.received = std::move(fn);
    box_->callback.buffer = buffer;
    return uv_udp_recv_start(
        &box_->handle,
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          std::span<char> b = boxOf(h)->callback.buffer;
          *buf = uv_buf_init(b.data(), static_cast<unsigned>(b.size()));
        },
        [](uv_udp_t* u, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned flags) {
          if (nread <= 0 || !from || !live(u)) return;
          boxOf(u)->callback.received(
              std::span(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)),
              from, flags);
        });
  }
  // Sends now or not at all: no request to keep alive; a full socket buffer fails it.
  int trySend(std::span<const uint8_t> bytes, const sockaddr* to) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())),
                               static_cast<unsigned>(bytes.size()));
    return uv_udp_try_send(&box_->handle, &buf, 1, to);
  }
};

// Resolves a host name on libuv's thread pool and calls `fn(status, addresses)` on the loop.
// Destroying it first cancels the answer: `fn` is then never called, and the request's memory
// goes when libuv is done with it.
class Resolve {
 public:
  using Fn = std::function<void(int, const addrinfo*)>;
  Resolve(uv_loop_t* loop, const std::string& host, const addrinfo& hints, Fn fn)
      : req_(new Request{{}, std::move(fn), this}) {
    req_->req.data = req_;
    error_ = uv_getaddrinfo(
        loop, &req_->req,
        [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
          std::unique_ptr<Request> r(static_cast<Request*>(req->data));
          if (r->owner) {
            r->owner->req_ = nullptr;  // `fn` may destroy its owner
            r->fn(status, res);
          }
          uv_freeaddrinfo(res);
        },
        host.c_str(), nullptr, &hints);
    if (error_ != 0) {
      delete req_;
      req_ = nullptr;
    }
  }
  Resolve(const Resolve&) = delete;
  Resolve& operator=(const Resolve&) = delete;
  ~Resolve() {
    if (!req_) return;
    req_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&req_->req));
  }
  // Why the lookup could not start (a UV_E* error); 0 when it did.
  int error() const { return error_; }

 private:
  struct Request {
    uv_getaddrinfo_t req;
    Fn fn;
    Resolve* owner;
  };
  Request* req_;
  int error_ = 0;
};

}  // namespace vesta::uv
