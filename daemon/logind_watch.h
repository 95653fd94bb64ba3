// Someone at the keyboard: logind's IdleHint and IdleSinceHint (org.freedesktop.login1 Manager
// properties on the system bus), read asynchronously on the loop, at start, on every
// PropertiesChanged of the Manager and every few seconds in case a change went unsignalled.
// vestad's own API bus may be another bus (a user or private one), so this watch opens its own
// connection: the system bus, or $VESTA_LOGIND_BUS (a D-Bus address; tests serve a fake logind
// on their private bus; "off" watches nothing). No logind is not an error: presence stays
// unknown and that is logged once. Loop thread only.
#pragma once

#include <systemd/sd-bus.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bus.h"
#include "lending_budget.h"
#include "uvpp.h"

namespace vesta {

class LogindWatch {
 public:
  // `idleAfterS`: a user active this recently is at the keyboard (idle_after_s). `onChange` runs
  // on the loop when the hints change.
  LogindWatch(uv_loop_t* loop, uint32_t idleAfterS, std::function<void()> onChange);
  ~LogindWatch();
  // Connects (`address`: "" the system bus, else a D-Bus address, "off" nothing) and asks.
  void start(const std::string& address);
  // Closes the connection and the poll (at shutdown, from a fresh loop iteration); presence is
  // unknown after it.
  void stop();
  // Now, from the newest hints and the wall clock.
  UserPresence presence() const;

 private:
  void refresh();
  void onReply(sd_bus_message* reply);
  void unavailable(const std::string& why);
  static int replyHandler(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int changedHandler(sd_bus_message* m, void* userdata, sd_bus_error* error);

  uv_loop_t* loop_;
  uint32_t idleAfterS_;
  std::function<void()> onChange_;
  uv::Timer poll_;
  BusPtr bus_;
  std::unique_ptr<BusLoop> busLoop_;
  sd_bus_slot* match_ = nullptr;
  sd_bus_slot* pending_ = nullptr;  // the GetAll in flight, at most one
  struct Hints {
    bool idle = false;
    uint64_t idleSinceUs = 0;
    bool operator==(const Hints&) const = default;
  };
  std::optional<Hints> hints_;  // none: unknown
  bool loggedUnavailable_ = false;
};

}  // namespace vesta
