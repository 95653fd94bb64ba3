#include "client.h"

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vesta {
namespace {

// One basic value as text: how rows of structs (Parts, Flows) are handed to the commands.
int readBasicAsText(sd_bus_message* m, char type, std::string& out) {
  int r = 0;
  switch (type) {
    case 's':
    case 'o': {
      const char* s = nullptr;
      r = sd_bus_message_read_basic(m, type, &s);
      out = s ? s : "";
      return r;
    }
    case 't': {
      uint64_t v = 0;
      r = sd_bus_message_read_basic(m, 't', &v);
      out = std::to_string(v);
      return r;
    }
    case 'u': {
      uint32_t v = 0;
      r = sd_bus_message_read_basic(m, 'u', &v);
      out = std::to_string(v);
      return r;
    }
    case 'q': {
      uint16_t v = 0;
      r = sd_bus_message_read_basic(m, 'q', &v);
      out = std::to_string(v);
      return r;
    }
    case 'd': {
      double v = 0;
      r = sd_bus_message_read_basic(m, 'd', &v);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      out = buf;
      return r;
    }
    case 'b': {
      int v = 0;
      r = sd_bus_message_read_basic(m, 'b', &v);
      out = v ? "true" : "false";
      return r;
    }
    default:
      return -EINVAL;
  }
}

// An array of structs of basic types, e.g. a(sstts), as rows of text fields.
int readRows(sd_bus_message* m, const std::string& sig, Rows& rows) {
  std::string fields = sig.substr(2, sig.size() - 3);  // "a(sstts)" -> "sstts"
  int r = sd_bus_message_enter_container(m, 'a', sig.substr(1).c_str());
  while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', fields.c_str())) > 0) {
    std::vector<std::string> row;
    for (char type : fields) {
      std::string text;
      if ((r = readBasicAsText(m, type, text)) < 0) return r;
      row.push_back(std::move(text));
    }
    rows.push_back(std::move(row));
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(m);
}

int readValue(sd_bus_message* m, Value& out) {
  char type = 0;
  const char* contents = nullptr;
  int r = sd_bus_message_peek_type(m, &type, &contents);
  if (r <= 0) return r;
  r = sd_bus_message_enter_container(m, 'v', contents);
  if (r < 0) return r;
  std::string sig = contents;
  if (sig == "s" || sig == "o") {
    const char* s = nullptr;
    r = sd_bus_message_read_basic(m, sig[0], &s);
    out = std::string(s ? s : "");
  } else if (sig == "d") {
    double d = 0;
    r = sd_bus_message_read_basic(m, 'd', &d);
    out = d;
  } else if (sig == "t" || sig == "u") {
    uint64_t t = 0;
    uint32_t u = 0;
    r = sig == "t" ? sd_bus_message_read_basic(m, 't', &t) : sd_bus_message_read_basic(m, 'u', &u);
    out = sig == "t" ? t : uint64_t{u};
  } else if (sig == "i" || sig == "x") {
    int64_t x = 0;
    int32_t i = 0;
    r = sig == "x" ? sd_bus_message_read_basic(m, 'x', &x) : sd_bus_message_read_basic(m, 'i', &i);
    out = sig == "x" ? x : int64_t{i};
  } else if (sig == "b") {
    int b = 0;
    r = sd_bus_message_read_basic(m, 'b', &b);
    out = b != 0;
  } else if (sig == "ad") {
    const void* data = nullptr;
    size_t size = 0;
    r = sd_bus_message_read_array(m, 'd', &data, &size);
    const double* d = static_cast<const double*>(data);
    out = std::vector<double>(d, d + size / sizeof(double));
  } else if (sig == "a{st}") {
    Counters counters;
    r = sd_bus_message_enter_container(m, 'a', "{st}");
    const char* key = nullptr;
    uint64_t n = 0;
    while (r >= 0 && (r = sd_bus_message_read(m, "{st}", &key, &n)) > 0) counters[key] = n;
    if (r >= 0) r = sd_bus_message_exit_container(m);
    out = std::move(counters);
  } else if (sig.size() > 3 && sig.compare(0, 2, "a(") == 0 && sig.back() == ')' &&
             sig.find_first_not_of("studbq", 2) == sig.size() - 1) {
    Rows rows;
    r = readRows(m, sig, rows);
    out = std::move(rows);
  } else {
    r = sd_bus_message_skip(m, contents);
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(m);
}

}  // namespace

std::string asString(const Properties& p, const std::string& key) {
  auto it = p.find(key);
  if (it == p.end()) return "";
  if (auto s = std::get_if<std::string>(&it->second)) return *s;
  return "";
}

double asDouble(const Properties& p, const std::string& key) {
  auto it = p.find(key);
  if (it == p.end()) return 0;
  if (auto d = std::get_if<double>(&it->second)) return *d;
  if (auto t = std::get_if<uint64_t>(&it->second)) return static_cast<double>(*t);
  if (auto x = std::get_if<int64_t>(&it->second)) return static_cast<double>(*x);
  if (auto b = std::get_if<bool>(&it->second)) return *b ? 1 : 0;
  return 0;
}

std::vector<double> asDoubles(const Properties& p, const std::string& key) {
  auto it = p.find(key);
  if (it == p.end()) return {};
  if (auto v = std::get_if<std::vector<double>>(&it->second)) return *v;
  return {};
}

Rows asRows(const Properties& p, const std::string& key) {
  auto it = p.find(key);
  if (it == p.end()) return {};
  if (auto rows = std::get_if<Rows>(&it->second)) return *rows;
  return {};
}

Counters asCounters(const Properties& p, const std::string& key) {
  auto it = p.find(key);
  if (it == p.end()) return {};
  if (auto c = std::get_if<Counters>(&it->second)) return *c;
  return {};
}

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

}  // namespace

tl::expected<Client, CliError> Client::connect(const std::string& bus, const std::string& node) {
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
        CliError{kExitUnreachable, errors + "; is vestad running? pass -bus "
                                            "system|user|ADDRESS to pick another bus"});
  return c;
}

std::string Client::busDescription() const {
  return describeBus(bus_.get(), which_);
}

CliError Client::failure(const sd_bus_error& error, int code) const {
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

tl::expected<Properties, CliError> Client::getAll(const std::string& path,
                                                  const char* interface) const {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus_.get(), destination_.c_str(), path.c_str(),
                             "org.freedesktop.DBus.Properties", "GetAll", &error, &reply, "s",
                             interface);
  if (r < 0) {
    CliError e = failure(error, kExitUnreachable);
    sd_bus_error_free(&error);
    return tl::unexpected(e);
  }
  Properties props;
  r = sd_bus_message_enter_container(reply, 'a', "{sv}");
  while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
    const char* key = nullptr;
    if ((r = sd_bus_message_read(reply, "s", &key)) < 0) break;
    Value v;
    if ((r = readValue(reply, v)) < 0) break;
    props[key] = std::move(v);
    r = sd_bus_message_exit_container(reply);
  }
  sd_bus_message_unref(reply);
  if (r < 0)
    return tl::unexpected(
        CliError{kExitJobFailed, std::string("malformed reply from vestad: ") + std::strerror(-r)});
  return props;
}

tl::expected<std::string, CliError> Client::callForJob(sd_bus_message* call, int r,
                                                       int code) const {
  if (r < 0) {
    sd_bus_message_unref(call);
    return tl::unexpected(CliError{code, "cannot build the D-Bus call"});
  }
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_message* reply = nullptr;
  r = sd_bus_call(bus_.get(), call, 0, &error, &reply);
  sd_bus_message_unref(call);
  if (r < 0) {
    CliError e = failure(error, code);
    sd_bus_error_free(&error);
    return tl::unexpected(e);
  }
  const char* path = nullptr;
  r = sd_bus_message_read(reply, "o", &path);
  std::string out = r >= 0 && path ? path : "";
  sd_bus_message_unref(reply);
  if (out.empty()) return tl::unexpected(CliError{code, "malformed reply from vestad"});
  return out;
}

}  // namespace vesta
