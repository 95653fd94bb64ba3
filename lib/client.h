// The client side of vestad's D-Bus API, shared by vesta and vestatop: which bus and which
// vestad, method calls, the typed properties of lib/api, signal watches, and failures that
// read well. Calls block: these are the clients' loops, never the daemon's.
#pragma once

#include <systemd/sd-bus.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api.h"
#include "bus.h"

namespace vesta {

// Exit codes of vesta and vestatop (documented in README and vesta -help).
constexpr int kExitOk = 0, kExitJobFailed = 1, kExitUsage = 2, kExitUnreachable = 3;

// A failure with the exit code it should end the program with.
struct ClientError {
  int code;
  std::string message;
};
template <typename T>
using ClientResult = tl::expected<T, ClientError>;

struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

// A signal subscription: the handler runs from sd_bus_process until the watch goes.
class Watch {
 public:
  using Handler = std::function<void(sd_bus_message*)>;
  Watch() = default;
  Watch(sd_bus* bus, const char* sender, const char* path, const char* interface,
        const char* member, Handler handler);
  explicit operator bool() const { return slot_ != nullptr; }

 private:
  struct SlotUnref {
    void operator()(sd_bus_slot* s) const { sd_bus_slot_unref(s); }
  };
  std::unique_ptr<Handler> handler_;  // declared first: the slot that calls it goes first
  std::unique_ptr<sd_bus_slot, SlotUnref> slot_;
};

// A job's Finished signal. `whole`: it also said the exit status and the node (vestad from
// 0.1 on sends them; without them a reader asks the job's properties).
struct Finished {
  std::string path, state, result, error;
  int32_t exitStatus = -1;
  std::string node;
  bool whole = false;
};

class Client {
 public:
  // Connects to the bus (`-bus`, $VESTA_BUS, or the default: see busCandidates) and targets
  // `node`'s vestad (empty: whichever owns org.vesta.Vestad1). Without -bus or $VESTA_BUS, a
  // user falls back to the system bus when no such vestad runs on the user bus.
  static ClientResult<Client> connect(const std::string& bus, const std::string& node);

  sd_bus* bus() const { return bus_.get(); }
  // The bus this client talks on, e.g. "the system bus (unix:path=/run/dbus/system_bus_socket)".
  std::string busDescription() const;
  const std::string& destination() const { return destination_; }

  // Turns a failed call into a ClientError: "no vestad answers" (exit 3) when nobody owns the
  // name, else the daemon's one-line message (exit `code`).
  ClientError failure(const sd_bus_error& error, int code) const;

  // A new method call on the Manager, for arguments the caller appends.
  ClientResult<MessagePtr> newCall(const char* method) const;
  // Sends a call; failures end the program with `code`, except an unreachable vestad (3).
  ClientResult<MessagePtr> call(MessagePtr call, int code = kExitJobFailed) const;
  // Calls a method of `interface` at `path` with the arguments `types` describes.
  template <typename... Args>
  ClientResult<MessagePtr> call(const char* path, const char* interface, const char* method,
                                const char* types, Args... args) const {
    sd_bus_message* m = nullptr;
    int r = sd_bus_message_new_method_call(bus_.get(), &m, destination_.c_str(), path, interface,
                                           method);
    MessagePtr owned(m);
    if (r >= 0) r = sd_bus_message_append(m, types, args...);
    if (r < 0) return tl::unexpected(ClientError{kExitJobFailed, "cannot build the D-Bus call"});
    return call(std::move(owned));
  }
  // Sends a call whose reply is a job path (SubmitCpu, SubmitMem, Exec).
  ClientResult<std::string> callForJob(MessagePtr call, int code) const;

  // The Manager's properties: the one snapshot vesta status and vestatop read.
  ClientResult<api::NodeInfo> node() const;
  // A job object's properties.
  ClientResult<api::JobInfo> job(const std::string& path) const;
  ClientResult<std::vector<api::JobRow>> listJobs() const;
  ClientResult<std::vector<api::Peer>> listPeers() const;
  // Asks the job at `path` to cancel; whether it could is not waited for.
  void cancel(const std::string& path) const;

  // Every job's Finished signal (subscribe before submitting, so none is missed).
  Watch watchFinished(std::function<void(const Finished&)> handler) const;
  // The Manager's PropertiesChanged (CPU every second, flows, peers, ledger).
  Watch watchManager(std::function<void()> handler) const;

 private:
  template <typename T>
  ClientResult<T> getAll(const std::string& path, const char* interface) const;
  template <typename Row>
  ClientResult<std::vector<Row>> list(const char* method) const;

  BusPtr bus_;
  std::string which_;
  std::string destination_;
  std::string tried_;  // every bus tried when none had the vestad meant ("the user bus ... or ...")
};

}  // namespace vesta
