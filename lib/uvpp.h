// RAII owners of libuv handles. A handle that was initialised must be uv_close'd and its memory
// freed only in the close callback; these owners do exactly that, so destroying one from inside
// its own callback is safe (the callback's storage lives until libuv calls back on close).
#pragma once

#include <uv.h>

#include <functional>
#include <utility>

namespace vesta::uv {

template <typename H>
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
    std::function<void(int, int)> callback;  // (status, events); unused values are 0
  };
  Handle() : box_(new Box{}) { box_->handle.data = box_; }
  static Box* boxOf(H* h) { return static_cast<Box*>(h->data); }
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

}  // namespace vesta::uv
