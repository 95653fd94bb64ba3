#include "client.h"

#include <unistd.h>

#include <cstdlib>

namespace vesta {
namespace {

// Whether anyone owns `name` on `bus` (a blocking call: vesta and vestatop are clients).
bool hasOwner(sd_bus* bus, const std::string& name) {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_message* reply = nullptr;
  int r =
      sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                         "org.freedesktop.DBus", "NameHasOwner", &error, &reply, "s", name.c_str());
  sd_bus_error_free(&error);
  int owned = 0;
  if (r >= 0) r = sd_bus_message_read(reply, "b", &owned);
  sd_bus_message_unref(reply);
  return r >= 0 && owned;
}

ClientError malformed(const std::string& why) {
  return {kExitJobFailed, "malformed reply from vestad: " + why};
}

}  // namespace

Watch::Watch(sd_bus* bus, const char* sender, const char* path, const char* interface,
             const char* member, Handler handler)
    : handler_(std::make_unique<Handler>(std::move(handler))) {
  sd_bus_slot* slot = nullptr;
  auto run = [](sd_bus_message* m, void* userdata, sd_bus_error*) {
    (*static_cast<Handler*>(userdata))(m);
    return 0;
  };
  // Asynchronous: no round trip of its own. The bus handles a connection's messages in order,
  // so the match is in place before any call sent after it (a submission) reaches vestad, and
  // no signal that call causes can be missed.
  if (sd_bus_match_signal_async(bus, &slot, sender, path, interface, member, run, nullptr,
                                handler_.get()) >= 0)
    slot_.reset(slot);
}

ClientResult<Client> Client::connect(const std::string& bus, const std::string& node) {
  Client c;
  c.destination_ = node.empty() ? kBusName : nodeBusName(node);
  auto candidates = busCandidates(bus, std::getenv("VESTA_BUS"), ::geteuid() == 0);
  std::string errors;
  // The first bus where the vestad meant is running; else the first that could be opened, so
  // that a call then says "no vestad answers" there (and names every bus tried).
  for (const std::string& which : candidates) {
    auto opened = openBus(which);
    if (!opened) {
      errors += (errors.empty() ? "" : "; ") + opened.error();
      continue;
    }
    if (candidates.size() == 1 || hasOwner(opened->get(), c.destination_)) {
      c.bus_ = std::move(*opened);
      c.which_ = which;
      c.tried_.clear();
      break;
    }
    c.tried_ += (c.tried_.empty() ? "" : " or ") + describeBus(opened->get(), which);
    if (!c.bus_) {
      c.bus_ = std::move(*opened);
      c.which_ = which;
    }
  }
  if (!c.bus_)
    return tl::unexpected(
        ClientError{kExitUnreachable, errors + "; is vestad running? pass -bus "
                                               "system|user|ADDRESS to pick another bus"});
  return c;
}

std::string Client::busDescription() const {
  return describeBus(bus_.get(), which_);
}

ClientError Client::failure(const sd_bus_error& error, int code) const {
  std::string name = error.name ? error.name : "";
  if (name == SD_BUS_ERROR_SERVICE_UNKNOWN || name == SD_BUS_ERROR_NAME_HAS_NO_OWNER ||
      name == SD_BUS_ERROR_NO_REPLY || name == SD_BUS_ERROR_DISCONNECTED) {
    bool named = destination_ != kBusName;
    return {kExitUnreachable,
            "no vestad answers as " + destination_ + " on " +
                (tried_.empty() ? describeBus(bus_.get(), which_) : tried_) +
                (named ? "; is the node name right, and is that vestad running?"
                       : "; start one with \"systemctl start vestad\" (or --user), or run "
                         "\"vestad -name NAME -key SECRET\"")};
  }
  // dbus-daemon's own text dumps the policy rule over several lines: say what it means instead.
  // Reads are open to everyone, so a refusal is always about changing something.
  if (name == SD_BUS_ERROR_ACCESS_DENIED)
    return {kExitUsage,
            "not allowed: on " + describeBus(bus_.get(), which_) +
                " only root and members of the group vesta may submit work, stress or cancel "
                "(status, peers, jobs and ledger are open to all); to join: sudo usermod -aG "
                "vesta $USER, then log in again"};
  return {code, error.message ? error.message : name};
}

ClientResult<MessagePtr> Client::newCall(const char* method) const {
  sd_bus_message* m = nullptr;
  if (sd_bus_message_new_method_call(bus_.get(), &m, destination_.c_str(), kObjectPath,
                                     kManagerInterface, method) < 0)
    return tl::unexpected(ClientError{kExitJobFailed, "cannot build the D-Bus call"});
  return MessagePtr(m);
}

ClientResult<MessagePtr> Client::call(MessagePtr call, int code) const {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call(bus_.get(), call.get(), 0, &error, &reply);
  if (r < 0) {
    ClientError e = failure(error, code);
    sd_bus_error_free(&error);
    return tl::unexpected(e);
  }
  return MessagePtr(reply);
}

ClientResult<std::string> Client::callForJob(MessagePtr m, int code) const {
  auto reply = call(std::move(m), code);
  if (!reply) return tl::unexpected(reply.error());
  const char* path = nullptr;
  int r = sd_bus_message_read(reply->get(), "o", &path);
  if (r < 0 || !path || !*path)
    return tl::unexpected(ClientError{code, "malformed reply from vestad"});
  return std::string(path);
}

template <typename T>
ClientResult<T> Client::getAll(const std::string& path, const char* interface) const {
  auto reply = call(path.c_str(), "org.freedesktop.DBus.Properties", "GetAll", "s", interface);
  if (!reply) {
    // A property read that fails means no usable vestad there (exit 3), unless refused.
    if (reply.error().code == kExitJobFailed) reply.error().code = kExitUnreachable;
    return tl::unexpected(reply.error());
  }
  T info;
  if (auto ok = api::read(reply->get(), info); !ok) return tl::unexpected(malformed(ok.error()));
  return info;
}

ClientResult<api::NodeInfo> Client::node() const {
  return getAll<api::NodeInfo>(kObjectPath, kManagerInterface);
}

ClientResult<api::JobInfo> Client::job(const std::string& path) const {
  return getAll<api::JobInfo>(path, kJobInterface);
}

template <typename Row>
ClientResult<std::vector<Row>> Client::list(const char* method) const {
  auto reply = call(kObjectPath, kManagerInterface, method, "");
  if (!reply) return tl::unexpected(reply.error());
  std::vector<Row> rows;
  if (auto ok = api::readArray(reply->get(), rows); !ok)
    return tl::unexpected(malformed(ok.error()));
  return rows;
}

ClientResult<std::vector<api::JobRow>> Client::listJobs() const {
  return list<api::JobRow>("ListJobs");
}

ClientResult<std::vector<api::Peer>> Client::listPeers() const {
  return list<api::Peer>("ListPeers");
}

void Client::cancel(const std::string& path) const {
  (void)call(path.c_str(), kJobInterface, "Cancel", "");
}

Watch Client::watchFinished(std::function<void(const Finished&)> handler) const {
  return Watch(bus_.get(), nullptr, nullptr, kJobInterface, "Finished",
               [handler = std::move(handler)](sd_bus_message* m) {
                 const char *state = "", *result = "", *error = "";
                 const char* path = sd_bus_message_get_path(m);
                 if (!path || sd_bus_message_read(m, "sss", &state, &result, &error) < 0) return;
                 Finished f;
                 f.path = path;
                 f.state = state;
                 f.result = result;
                 f.error = error;
                 const char* node = "";
                 f.whole = sd_bus_message_read(m, "is", &f.exitStatus, &node) > 0;
                 f.node = node;
                 handler(f);
               });
}

Watch Client::watchManager(std::function<void()> handler) const {
  return Watch(bus_.get(), destination_.c_str(), kObjectPath, "org.freedesktop.DBus.Properties",
               "PropertiesChanged", [handler = std::move(handler)](sd_bus_message*) { handler(); });
}

}  // namespace vesta
