// BusLoop, apart from the rest of lib/bus: only vestad drives sd-bus from libuv, and the
// clients, which link the rest, then need not load libuv at all.
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

#include "bus.h"

namespace vesta {

BusLoop::BusLoop(uv_loop_t* loop, sd_bus* bus, std::function<void()> onLost)
    : bus_(sd_bus_ref(bus)),
      poll_(loop, sd_bus_get_fd(bus)),
      timer_(loop),
      prepare_(loop),
      onLost_(std::move(onLost)) {
  prepare_.start([this] { arm(); });
  arm();
}

BusLoop::~BusLoop() {
  sd_bus_unref(bus_);
}

void BusLoop::process() {
  if (lost_) return;
  int r;
  while ((r = sd_bus_process(bus_, nullptr)) > 0) {
  }
  if (r < 0 && !lost_) {
    lost_ = true;
    poll_.stop();
    timer_.stop();
    if (onLost_) onLost_();
  }
}

void BusLoop::arm() {
  if (lost_) return;
  int events = sd_bus_get_events(bus_);
  int uvEvents = 0;
  if (events > 0) {
    if (events & POLLIN) uvEvents |= UV_READABLE;
    if (events & POLLOUT) uvEvents |= UV_WRITABLE;
  }
  if (uvEvents != armedEvents_) {
    armedEvents_ = uvEvents;
    if (uvEvents)
      poll_.start(uvEvents, [this](int, int) { process(); });
    else
      poll_.stop();
  }
  uint64_t deadline = 0;
  if (sd_bus_get_timeout(bus_, &deadline) < 0 || deadline == UINT64_MAX) {
    timer_.stop();
    return;
  }
  // The deadline is absolute CLOCK_MONOTONIC in microseconds; libuv wants a relative delay in ms.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t nowUs =
      static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
  uint64_t delayMs = deadline > nowUs ? (deadline - nowUs + 999) / 1000 : 0;
  timer_.start(delayMs, 0, [this] { process(); });
}

}  // namespace vesta
