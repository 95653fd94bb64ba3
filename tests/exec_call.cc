// Calls Manager.Exec the way a careless or hostile D-Bus client might, for the integration
// tests (busctl cannot pass file descriptors): prints the D-Bus error name and message, or the
// job path, and exits 0 only when the call was refused.
//
//   exec_call ADDRESS read-end|on-empty|option-twice|stdin-write-end|stdin-file
#include <fcntl.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "bus.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: exec_call ADDRESS "
                 "read-end|on-empty|option-twice|stdin-write-end|stdin-file\n");
    return 2;
  }
  std::string mode = argv[2];
  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r >= 0) r = sd_bus_set_address(bus, argv[1]);
  if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
  if (r >= 0) r = sd_bus_start(bus);
  if (r < 0) {
    std::fprintf(stderr, "exec_call: cannot connect: %s\n", std::strerror(-r));
    return 2;
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return 2;
  // read-end hands over the end vestad could never write to; the others a proper write end.
  int stdoutFd = mode == "read-end" ? out[0] : out[1];
  sd_bus_message* call = nullptr;
  r = sd_bus_message_new_method_call(bus, &call, "org.vesta.Vestad1", vesta::kObjectPath,
                                     vesta::kManagerInterface, "Exec");
  if (r >= 0) r = sd_bus_message_append(call, "as", 1, "true");
  if (r >= 0) r = sd_bus_message_append(call, "hhh", stdoutFd, out[1], out[1]);
  if (r >= 0) r = sd_bus_message_append(call, "a(ssbh)", 0);
  if (r >= 0) r = sd_bus_message_append(call, "as", 0);
  if (mode == "on-empty")
    r = r < 0 ? r : sd_bus_message_append(call, "a{sv}", 1, "on", "s", "");
  else if (mode == "option-twice")
    r = r < 0 ? r : sd_bus_message_append(call, "a{sv}", 2, "local", "b", 1, "local", "b", 1);
  else if (mode == "stdin-write-end")  // stdin must be a read end
    r = r < 0 ? r : sd_bus_message_append(call, "a{sv}", 1, "stdin", "h", out[1]);
  else if (mode == "stdin-file")  // a file the caller shares: vestad would change its flags
    r = r < 0 ? r
              : sd_bus_message_append(call, "a{sv}", 1, "stdin", "h",
                                      ::open("/dev/null", O_RDONLY | O_CLOEXEC));
  else
    r = r < 0 ? r : sd_bus_message_append(call, "a{sv}", 0);
  if (r < 0) {
    std::fprintf(stderr, "exec_call: cannot build the call: %s\n", std::strerror(-r));
    return 2;
  }
  sd_bus_error error{};
  sd_bus_message* reply = nullptr;
  r = sd_bus_call(bus, call, 0, &error, &reply);
  int code = 1;
  if (r < 0 && error.name) {
    std::printf("%s: %s\n", error.name, error.message ? error.message : "");
    code = 0;
  } else if (r >= 0) {
    const char* path = "";
    sd_bus_message_read(reply, "o", &path);
    std::printf("accepted: %s\n", path);
  } else {
    std::printf("failed: %s\n", std::strerror(-r));
  }
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  sd_bus_message_unref(call);
  sd_bus_flush_close_unref(bus);
  return code;
}
