// A stand-in for systemd-logind on a test's private bus: owns org.freedesktop.login1 and serves
// the two Manager properties vestad reads, IdleHint (b) and IdleSinceHint (t, CLOCK_REALTIME
// microseconds), with their change signal. The test flips them by calling SetIdle (bt) of
// org.vesta.test.FakeLogind at /org/freedesktop/login1 with busctl: false 0 is someone active,
// true 0 idle since the epoch (away), true NOW_US just went idle.
//   fake_logind ADDRESS [IDLE SINCE_US]
#include <systemd/sd-bus.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct State {
  int idle = 1;
  uint64_t sinceUs = 0;
};

int getIdle(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
            sd_bus_error*) {
  return sd_bus_message_append(reply, "b", static_cast<State*>(userdata)->idle);
}

int getSince(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
             sd_bus_error*) {
  return sd_bus_message_append(reply, "t", static_cast<State*>(userdata)->sinceUs);
}

int setIdle(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* s = static_cast<State*>(userdata);
  int r = sd_bus_message_read(m, "bt", &s->idle, &s->sinceUs);
  if (r < 0) return r;
  sd_bus_emit_properties_changed(sd_bus_message_get_bus(m), "/org/freedesktop/login1",
                                 "org.freedesktop.login1.Manager", "IdleHint", "IdleSinceHint",
                                 nullptr);
  return sd_bus_reply_method_return(m, "");
}

const sd_bus_vtable kManager[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("IdleHint", "b", getIdle, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("IdleSinceHint", "t", getSince, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_VTABLE_END,
};

const sd_bus_vtable kControl[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("SetIdle", "bt", "", setIdle, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: fake_logind ADDRESS [IDLE(0|1) SINCE_US]\n");
    return 2;
  }
  State state;
  if (argc == 4) {
    state.idle = std::atoi(argv[2]) != 0;
    state.sinceUs = std::strtoull(argv[3], nullptr, 10);
  }
  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r >= 0) r = sd_bus_set_address(bus, argv[1]);
  if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
  if (r >= 0) r = sd_bus_start(bus);
  if (r >= 0)
    r = sd_bus_add_object_vtable(bus, nullptr, "/org/freedesktop/login1",
                                 "org.freedesktop.login1.Manager", kManager, &state);
  if (r >= 0)
    r = sd_bus_add_object_vtable(bus, nullptr, "/org/freedesktop/login1",
                                 "org.vesta.test.FakeLogind", kControl, &state);
  if (r >= 0) r = sd_bus_request_name(bus, "org.freedesktop.login1", 0);
  if (r < 0) {
    std::fprintf(stderr, "fake_logind: %s\n", std::strerror(-r));
    return 1;
  }
  for (;;) {
    r = sd_bus_process(bus, nullptr);
    if (r < 0) break;
    if (r > 0) continue;
    if (sd_bus_wait(bus, UINT64_MAX) < 0) break;
  }
  sd_bus_flush_close_unref(bus);
  return 0;
}
