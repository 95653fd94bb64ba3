// vesta's connection to one vestad: which bus, which name, and readable failures.
#pragma once

#include <systemd/sd-bus.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "bus.h"
#include "result.h"

namespace vesta {

// Exit codes of vesta (documented in README and vesta -help).
constexpr int kExitOk = 0, kExitJobFailed = 1, kExitUsage = 2, kExitUnreachable = 3;

// A failure with the exit code it should end vesta with.
struct CliError {
  int code;
  std::string message;
};

using Counters = std::map<std::string, uint64_t>;
using Rows = std::vector<std::vector<std::string>>;  // arrays of structs, each field as text
using Value = std::variant<std::monostate, std::string, double, uint64_t, int64_t, bool,
                           std::vector<double>, Counters, Rows>;
using Properties = std::map<std::string, Value>;

std::string asString(const Properties& p, const std::string& key);
double asDouble(const Properties& p, const std::string& key);  // numbers of any type
std::vector<double> asDoubles(const Properties& p, const std::string& key);
Counters asCounters(const Properties& p, const std::string& key);
Rows asRows(const Properties& p, const std::string& key);

class Client {
 public:
  // Connects to the bus (`-bus`, $VESTA_BUS, or the default: see busCandidates) and targets
  // `node`'s vestad (empty: whichever owns org.vesta.Vestad1). Without -bus or $VESTA_BUS, a
  // user falls back to the system bus when no such vestad runs on the user bus.
  static tl::expected<Client, CliError> connect(const std::string& bus, const std::string& node);

  sd_bus* bus() const { return bus_.get(); }
  // The bus this client talks on, e.g. "the system bus (unix:path=/run/dbus/system_bus_socket)".
  std::string busDescription() const;
  const std::string& destination() const { return destination_; }

  // Turns a failed call into a CliError: "no vestad answers" (exit 3) when nobody owns the
  // name, else the daemon's one-line message (exit `code`).
  CliError failure(const sd_bus_error& error, int code) const;

  // Sends a method call built by the caller (`r` is the result of building it; the call is
  // consumed either way) whose reply is a job path. Failures end vesta with `code`, except an
  // unreachable vestad (3).
  tl::expected<std::string, CliError> callForJob(sd_bus_message* call, int r, int code) const;

  // All properties of `interface` at `path`.
  tl::expected<Properties, CliError> getAll(const std::string& path, const char* interface) const;

 private:
  BusPtr bus_;
  std::string which_;
  std::string destination_;
  std::string tried_;  // every bus tried when none had the vestad meant ("the user bus ... or ...")
};

}  // namespace vesta
