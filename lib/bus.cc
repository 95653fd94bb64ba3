#include "bus.h"

#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace vesta {

std::string chooseBus(const std::string& requested) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("VESTA_BUS"); env && *env) return env;
  return ::geteuid() == 0 ? "system" : "user";
}

std::vector<std::string> busCandidates(const std::string& requested, const char* env, bool root) {
  if (!requested.empty()) return {requested};
  if (env && *env) return {env};
  if (root) return {"system"};
  return {"user", "system"};
}

Result<BusPtr> openBus(const std::string& requested) {
  std::string which = chooseBus(requested);
  sd_bus* raw = nullptr;
  int r;
  if (which == "system") {
    r = sd_bus_open_system(&raw);
  } else if (which == "user") {
    r = sd_bus_open_user(&raw);
  } else {
    r = sd_bus_new(&raw);
    if (r >= 0) r = sd_bus_set_address(raw, which.c_str());
    if (r >= 0) r = sd_bus_set_bus_client(raw, 1);
    if (r >= 0) r = sd_bus_start(raw);
  }
  BusPtr bus(raw);
  if (r < 0)
    return fail("cannot connect to the " +
                (which == "system" || which == "user" ? which + " bus" : "bus at " + which) + ": " +
                std::strerror(-r));
  return bus;
}

std::string nodeBusName(const std::string& nodeName) {
  std::string element = nodeName;
  if (!element.empty() && element[0] >= '0' && element[0] <= '9') element = "_" + element;
  return std::string(kBusName) + ".Node." + element;
}

std::string describeBus(sd_bus* bus, const std::string& which) {
  const char* address = nullptr;
  if (bus) sd_bus_get_address(bus, &address);
  std::string name = which == "system" || which == "user" ? "the " + which + " bus" : "the bus";
  return address ? name + " (" + address + ")" : name + " (" + which + ")";
}

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
