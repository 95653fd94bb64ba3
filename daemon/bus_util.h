// Small helpers shared by the bus interface files.
#pragma once

#include <systemd/sd-bus.h>

#include <exception>
#include <set>
#include <string>

#include "vesta_version.h"

namespace vesta {

inline constexpr const char* kErrorInvalidArgument = "org.vesta.Vestad1.Error.InvalidArgument";
inline constexpr const char* kErrorRefused = "org.vesta.Vestad1.Error.Refused";
inline constexpr const char* kErrorNoSuchJob = "org.vesta.Vestad1.Error.NoSuchJob";
inline constexpr const char* kErrorInternal = "org.vesta.Vestad1.Error.Internal";

// Runs a handler body; an exception must never unwind through sd-bus's C frames.
template <typename Fn>
int guarded(sd_bus_error* error, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return sd_bus_error_setf(error, kErrorInternal, "internal error: %s", e.what());
  } catch (...) {
    return sd_bus_error_set(error, kErrorInternal, "internal error");
  }
}

// Replies with a D-Bus error carrying a one-line message.
inline int replyError(sd_bus_error* error, const char* name, const std::string& message) {
  return sd_bus_error_set(error, name, message.c_str());
}

// Option errors shared by SubmitCpu, SubmitMem and Exec. A repeated key is refused rather than
// letting the last one win silently: the caller meant one of them, and we cannot tell which.
inline std::string repeatedOption(const std::string& key) {
  return "option \"" + key + "\" is given twice; give each option once";
}
inline constexpr const char* kOnAndLocal = "options \"on\" and \"local\"";
inline std::string emptyOn() {
  return "option \"on\" is empty; give a node name (see vesta peers) or leave the option out";
}

// Reads an a{sv} options argument, each key once: `readValue(key)` reads that key's variant and
// returns 1, or 0 for a key it does not know, or a negative errno once it has set `error`. An
// unknown key is refused, naming the `known` ones, so a newer client asking for behaviour this
// daemon lacks hears so instead of being ignored.
template <typename Fn>
int readOptionDict(sd_bus_message* m, sd_bus_error* error, const char* known, Fn&& readValue) {
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  if (r < 0) return r;
  std::set<std::string> seen;
  while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char* key = nullptr;
    if ((r = sd_bus_message_read(m, "s", &key)) < 0) return r;
    std::string k = key;
    if (!seen.insert(k).second) return replyError(error, kErrorInvalidArgument, repeatedOption(k));
    if ((r = readValue(k)) < 0) return r;
    if (r == 0)
      return replyError(
          error, kErrorInvalidArgument,
          "option \"" + k + "\" is not known to this vestad " VESTA_VERSION "; known: " + known);
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(m);
}

}  // namespace vesta
