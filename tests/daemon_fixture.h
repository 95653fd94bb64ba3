// For the daemon tests: real processes, no mocks. A private dbus-daemon, one real vestad on it
// (the binary $VESTAD names, beacons on loopback only), a client connection to that bus, and a
// way to run a program to its end and read what it printed.
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bus.h"
#include "test_util.h"

namespace daemon_test {

// What a finished program left: its exit status (128+N after signal N, -1 when it outlived
// the time it was given and was killed) and its stdout and stderr, interleaved.
struct Ran {
  int status = -1;
  std::string output;
};

// Runs argv to its end (at most timeoutS seconds, so a program that hangs fails the test
// instead of hanging it). The program's stdin is /dev/null.
Ran run(const std::vector<std::string>& argv, int timeoutS = 60);

// Polls `ready` until it holds or `timeoutS` pass: a test waits for a state (generously),
// never times one.
template <typename F>
bool eventually(int timeoutS, F ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutS);
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// $VESTAD, as tests/meson.build sets it.
std::string vestadPath();

// A block of 100 ports below the ephemeral range, held (a lock file the integration scripts
// also use) for as long as this object lives, so tests running in parallel never share one.
class Ports {
 public:
  Ports();
  ~Ports();
  Ports(const Ports&) = delete;
  Ports& operator=(const Ports&) = delete;
  int base() const { return base_; }

 private:
  int lockFd_ = -1;
  int base_ = 0;
};

// A dbus-daemon of this test's own, on a socket in its own directory; stopped with the object.
class PrivateBus {
 public:
  PrivateBus();
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;
  const std::string& address() const { return address_; }

 private:
  TempDir dir_;
  std::string address_;
  pid_t pid_ = -1;
};

// A client connection to a bus, closed with the object.
class Client {
 public:
  explicit Client(const std::string& address);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  sd_bus* get() const { return bus_; }

 private:
  sd_bus* bus_ = nullptr;
};

// One vestad on a private bus: started by the constructor, which waits until it owns its
// node's bus name (and fails the test, with vestad's log, when it never does); SIGTERM and a
// wait in stop() or the destructor.
class Node {
 public:
  // `flags` come after the ones every test node gets (-name, -key, -state-dir, ports, bus).
  Node(const std::string& name, const std::vector<std::string>& flags = {});
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // SIGTERM, then vestad's exit status.
  int stop();
  const std::string& name() const { return name_; }
  const std::string& busAddress() const { return bus_.address(); }
  std::string stateDir() const { return dir_.path + "/state-" + name_; }
  std::string dir() const { return dir_.path; }
  int dport() const { return ports_.base(); }  // this node's beacon port
  // The federation key every test node shares.
  static std::string key() { return "daemon-test-federation-key"; }
  // The flags that put another vestad beside this one: key, state dir DIR, loopback beacons
  // on this node's beacon port, this bus.
  std::vector<std::string> flagsBeside(const std::string& stateDir) const;
  // The bus name this vestad owns (org.vesta.Vestad1.Node.NAME).
  std::string busName() const;
  sd_bus* client() const { return client_.get(); }

  // A Manager property read as a string (its D-Bus type must be s).
  std::string managerString(const char* property) const;
  // A property of the job object at `path`, read as a string (its D-Bus type must be s).
  std::string jobString(const std::string& path, const char* property) const;
  // SubmitCpu with no options: the job's object path (the test fails when it is refused).
  std::string submitCpu(uint64_t millions, const std::string& seed) const;
  // Calls a Manager method with an sd-bus signature and arguments: "" when vestad accepted
  // it, else "ERROR_NAME: message".
  template <typename... Args>
  std::string callManager(const char* method, const char* types, Args... args) const {
    sd_bus_error error{};  // SD_BUS_ERROR_NULL is a C compound literal
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(client_.get(), busName().c_str(), vesta::kObjectPath,
                               vesta::kManagerInterface, method, &error, &reply, types, args...);
    std::string result = describeCall(r, error);
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
    return result;
  }

 private:
  static std::string describeCall(int r, const sd_bus_error& error);
  bool up() const;

  std::string name_;
  TempDir dir_;
  Ports ports_;
  PrivateBus bus_;
  Client client_;
  pid_t pid_ = -1;
};

}  // namespace daemon_test
