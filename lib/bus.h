// sd-bus helpers shared by vestad, vesta and vestatop: opening the right bus, the names vestad
// owns, and driving an sd_bus connection from a libuv loop.
#pragma once

#include <systemd/sd-bus.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "result.h"
#include "uvpp.h"

namespace vesta {

inline constexpr const char* kBusName = "org.vesta.Vestad1";
inline constexpr const char* kObjectPath = "/org/vesta/Vestad1";
inline constexpr const char* kManagerInterface = "org.vesta.Vestad1.Manager";
inline constexpr const char* kJobInterface = "org.vesta.Vestad1.Job";
inline constexpr const char* kJobPathPrefix = "/org/vesta/Vestad1/job";

struct BusUnref {
  void operator()(sd_bus* b) const { sd_bus_flush_close_unref(b); }
};
using BusPtr = std::unique_ptr<sd_bus, BusUnref>;

// "system", "user" or a D-Bus address. Empty picks $VESTA_BUS, else system for root, else user.
std::string chooseBus(const std::string& requested);

// The buses a client tries, in order, for `requested` (-bus; may be empty): that one when given,
// else $VESTA_BUS, else the system bus for root, else the user bus and then the system bus, so
// a member of group vesta reaches the system vestad with no flags. `env` is $VESTA_BUS.
std::vector<std::string> busCandidates(const std::string& requested, const char* env, bool root);

// Connects to the bus that `which` names (see chooseBus). The error names the bus and the cause.
Result<BusPtr> openBus(const std::string& which);

// The per-node name every vestad owns besides kBusName, e.g. org.vesta.Vestad1.Node.pi4.
// Node names are [A-Za-z0-9_-]; a leading digit, not allowed in a bus name element, gets '_'.
std::string nodeBusName(const std::string& nodeName);

// The readable address of a bus for messages ("the user bus (unix:path=/run/user/1000/bus)").
std::string describeBus(sd_bus* bus, const std::string& which);

// Drives an sd_bus connection from a libuv loop: a poll on the bus fd, a timer for sd-bus's
// deadline, and a prepare handle that re-arms both before every wait.
class BusLoop {
 public:
  // `onLost` runs once if the connection breaks (the bus went away).
  BusLoop(uv_loop_t* loop, sd_bus* bus, std::function<void()> onLost);
  ~BusLoop();
  // Processes everything sd-bus has queued.
  void process();

 private:
  void arm();

  sd_bus* bus_;
  uv::Poll poll_;
  uv::Timer timer_;
  uv::Prepare prepare_;
  std::function<void()> onLost_;
  int armedEvents_ = -1;
  bool lost_ = false;
};

}  // namespace vesta
