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

}  // namespace vesta
