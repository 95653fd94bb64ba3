#include "logind_watch.h"

#include <cstring>
#include <ctime>
#include <string_view>

#include "log.h"
#include "presence.h"

namespace vesta {
namespace {

constexpr const char* kLogind = "org.freedesktop.login1";
constexpr const char* kLogindPath = "/org/freedesktop/login1";
constexpr const char* kLogindManager = "org.freedesktop.login1.Manager";
// logind signals IdleHint changes; the poll only covers a missed or unsent one (a fake, an old
// logind). One small call every few seconds costs nothing.
constexpr uint64_t kPollMs = 5000;

uint64_t realtimeUs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

LogindWatch::LogindWatch(uv_loop_t* loop, uint32_t idleAfterS, std::function<void()> onChange)
    : loop_(loop), idleAfterS_(idleAfterS), onChange_(std::move(onChange)), poll_(loop) {}

LogindWatch::~LogindWatch() {
  stop();
}

void LogindWatch::stop() {
  pending_ = sd_bus_slot_unref(pending_);
  match_ = sd_bus_slot_unref(match_);
  busLoop_.reset();
  bus_.reset();
  poll_.close();
  hints_.reset();
}

void LogindWatch::start(const std::string& address) {
  if (address == "off") return;
  auto bus = openBus(address.empty() ? "system" : address);
  if (!bus) return unavailable(bus.error());
  bus_ = std::move(*bus);
  busLoop_ = std::make_unique<BusLoop>(
      loop_, bus_.get(), [this] { unavailable("the connection to logind's bus was lost"); });
  int r = sd_bus_match_signal_async(bus_.get(), &match_, kLogind, kLogindPath,
                                    "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                    changedHandler, nullptr, this);
  if (r < 0) log::warning(std::string("cannot watch logind's idle hint: ") + std::strerror(-r));
  refresh();
  poll_.start(kPollMs, kPollMs, [this] { refresh(); });
}

UserPresence LogindWatch::presence() const {
  if (!hints_) return UserPresence::Unknown;
  return presenceFrom(hints_->idle, hints_->idleSinceUs, realtimeUs(), idleAfterS_);
}

void LogindWatch::refresh() {
  if (!bus_ || pending_) return;
  int r = sd_bus_call_method_async(bus_.get(), &pending_, kLogind, kLogindPath,
                                   "org.freedesktop.DBus.Properties", "GetAll", replyHandler, this,
                                   "s", kLogindManager);
  if (r < 0) unavailable(std::string("cannot ask logind: ") + std::strerror(-r));
}

int LogindWatch::changedHandler(sd_bus_message*, void* userdata, sd_bus_error*) {
  static_cast<LogindWatch*>(userdata)->refresh();
  return 0;
}

int LogindWatch::replyHandler(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* self = static_cast<LogindWatch*>(userdata);
  self->pending_ = sd_bus_slot_unref(self->pending_);
  try {
    if (const sd_bus_error* e = sd_bus_message_get_error(m)) {
      self->unavailable(std::string("logind does not answer (") + (e->name ? e->name : "?") + ")");
    } else {
      self->onReply(m);
    }
  } catch (const std::exception& e) {  // nothing crosses an sd-bus callback
    log::error(std::string("reading logind's idle hint: ") + e.what());
  }
  return 0;
}

void LogindWatch::onReply(sd_bus_message* m) {
  Hints h;
  bool haveIdle = false;
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char* name = nullptr;
    if ((r = sd_bus_message_read(m, "s", &name)) < 0) break;
    std::string_view key = name;
    if (key == "IdleHint") {
      int b = 0;
      r = sd_bus_message_read(m, "v", "b", &b);
      h.idle = b != 0;
      haveIdle = r >= 0;
    } else if (key == "IdleSinceHint") {
      r = sd_bus_message_read(m, "v", "t", &h.idleSinceUs);
    } else {
      r = sd_bus_message_skip(m, "v");
    }
    if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0) break;
  }
  if (r < 0 || !haveIdle) return unavailable("logind's Manager has no readable IdleHint");
  if (!hints_) log::info("logind answers: the in-use rule (in_use_offer_pct) applies");
  loggedUnavailable_ = false;  // a later loss is news again
  bool changed = hints_ != h;
  hints_ = h;
  if (changed && onChange_) onChange_();
}

void LogindWatch::unavailable(const std::string& why) {
  bool changed = hints_.has_value();
  hints_.reset();
  if (!loggedUnavailable_) {
    loggedUnavailable_ = true;
    log::info(why + ": whether someone is at the keyboard is unknown (the in-use rule is off)");
  }
  if (changed && onChange_) onChange_();
}

}  // namespace vesta
