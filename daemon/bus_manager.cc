// org.vesta.Vestad1.Manager at /org/vesta/Vestad1: the node's live state as properties, and the
// methods that submit jobs, stress the node and cancel jobs (docs/dbus-api.md).
#include <cmath>
#include <set>

#include "bus_util.h"
#include "node.h"
#include "spawn.h"
#include "vesta_version.h"

namespace vesta {
namespace {

// name, fingerprint, address, link port, state, cores, cpu %, MemAvailable MiB, power mode,
// willingness, spare cores, ms since the last beacon, link state, link RTT in ms (-1 unknown).
constexpr const char* kPeerSignature = "(sssqsudtsddtsd)";
// direction (lend|borrow), job id on its origin, kind, peer name, peer fingerprint, cores,
// units done, units in the job, elapsed ms.
constexpr const char* kFlowSignature = "(stsssuttt)";
// name, fingerprint, core-s lent, core-s borrowed, MiB-s lent, MiB-s borrowed, capped (it may
// not borrow from us), capped there (we may not borrow from it).
constexpr const char* kLedgerSignature = "(ssddddbb)";

Node& nodeOf(void* userdata) {
  return *static_cast<Node*>(userdata);
}

// Reads the a{sv} options argument into a placement request: "on" (s, a node name), "local"
// (b), "no_split" (b). An unknown option is an error, so a newer client asking for behaviour
// this daemon lacks hears so instead of being ignored.
int readOptions(sd_bus_message* m, sd_bus_error* error, PlacementRequest& how) {
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  if (r < 0) return r;
  std::set<std::string> seen;
  while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char* key = nullptr;
    if ((r = sd_bus_message_read(m, "s", &key)) < 0) return r;
    std::string k = key;
    if (!seen.insert(k).second) return replyError(error, kErrorInvalidArgument, repeatedOption(k));
    if (k == "on") {
      const char* node = nullptr;
      if ((r = sd_bus_message_read(m, "v", "s", &node)) < 0)
        return replyError(error, kErrorInvalidArgument, "option \"on\" takes a string");
      if (!*node) return replyError(error, kErrorInvalidArgument, emptyOn());
      how.on = node;
    } else if (k == "local" || k == "no_split") {
      int flag = 0;
      if ((r = sd_bus_message_read(m, "v", "b", &flag)) < 0)
        return replyError(error, kErrorInvalidArgument, "option \"" + k + "\" takes a boolean");
      (k == "local" ? how.local : how.no_split) = flag != 0;
    } else {
      return replyError(error, kErrorInvalidArgument,
                        "option \"" + k +
                            "\" is not known to this vestad " VESTA_VERSION
                            "; known: on, local, no_split");
    }
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
  }
  if (r < 0) return r;
  if (how.local && !how.on.empty())
    return replyError(error, kErrorInvalidArgument,
                      "options \"on\" and \"local\" contradict each other; give one");
  return sd_bus_message_exit_container(m);
}

int replyJob(sd_bus_message* m, sd_bus_error* error, const Result<Job*>& job) {
  if (!job) return replyError(error, kErrorRefused, job.error());
  return sd_bus_reply_method_return(m, "o", jobPath((*job)->id).c_str());
}

int submitCpu(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    uint64_t millions = 0;
    const char* seed = nullptr;
    int r = sd_bus_message_read(m, "ts", &millions, &seed);
    if (r < 0) return r;
    PlacementRequest how;
    if ((r = readOptions(m, error, how)) < 0) return r;
    return replyJob(m, error, nodeOf(userdata).submitCpu(millions, seed, how));
  });
}

int submitMem(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    uint64_t mb = 0, holdMs = 0;
    int r = sd_bus_message_read(m, "tt", &mb, &holdMs);
    if (r < 0) return r;
    PlacementRequest how;
    if ((r = readOptions(m, error, how)) < 0) return r;
    return replyJob(m, error, nodeOf(userdata).submitMem(mb, holdMs, how));
  });
}

int stress(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    uint32_t cores = 0, seconds = 0;
    int r = sd_bus_message_read(m, "uu", &cores, &seconds);
    if (r < 0) return r;
    auto started = nodeOf(userdata).startStress(cores, seconds);
    if (!started) return replyError(error, kErrorInvalidArgument, started.error());
    return sd_bus_reply_method_return(m, "");
  });
}

int stopStress(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    nodeOf(userdata).stopStress();
    return sd_bus_reply_method_return(m, "");
  });
}

int cancelJob(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    const char* id = nullptr;
    int r = sd_bus_message_read(m, "s", &id);
    if (r < 0) return r;
    auto n = parseJobId(id);
    if (!n) return replyError(error, kErrorInvalidArgument, n.error());
    auto cancelled = nodeOf(userdata).jobs().cancel(*n);
    if (!cancelled) return replyError(error, kErrorNoSuchJob, cancelled.error());
    return sd_bus_reply_method_return(m, "");
  });
}

int listJobs(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    sd_bus_message* reply = nullptr;
    int r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(ssssdo)");
    for (auto& [id, job] : nodeOf(userdata).jobs().all()) {
      if (r < 0) break;
      r = sd_bus_message_append(reply, "(ssssdo)", job->idText().c_str(), jobKindName(job->kind),
                                jobStateName(job->state), job->node.c_str(), job->progress(),
                                jobPath(id).c_str());
    }
    if (r >= 0) r = sd_bus_message_close_container(reply);
    if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
  });
}

// Property getters. `property` names which one; one function per type keeps the table short.
int getString(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
              void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    Node& n = nodeOf(userdata);
    std::string p = property, v;
    if (p == "Name")
      v = n.config().name;
    else if (p == "Fingerprint")
      v = n.identity().fingerprint();
    else if (p == "Version")
      v = VESTA_VERSION;
    else if (p == "PowerMode")
      v = powerModeName(n.status().power.mode);
    else if (p == "PowerReason")
      v = n.status().power.reason;
    else if (p == "StateDirectory")
      v = n.stateDir();
    else if (p == "ExecConfinement")
      v = confinementSummary();
    return sd_bus_message_append(reply, "s", v.c_str());
  });
}

int getU32(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
           void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    Node& n = nodeOf(userdata);
    std::string p = property;
    uint32_t v = 0;
    if (p == "Cores")
      v = n.status().cores;
    else if (p == "Workers")
      v = n.workers();
    else if (p == "StressCores")
      v = n.stressCores();
    else if (p == "JobsActive")
      v = static_cast<uint32_t>(n.jobs().active());
    else if (p == "Gpus")
      v = static_cast<uint32_t>(n.status().gpus);
    return sd_bus_message_append(reply, "u", v);
  });
}

int getBool(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
            void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    std::string p = property;
    int v = 0;
    if (p == "AllowExec") v = nodeOf(userdata).config().allow_exec;
    return sd_bus_message_append(reply, "b", v);
  });
}

int getU64(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
           void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    const NodeStatus& s = nodeOf(userdata).status();
    std::string p = property;
    uint64_t v = 0;
    if (p == "MemTotalMB")
      v = s.mem.total_kb / 1024;
    else if (p == "MemAvailableMB")
      v = s.mem.available_kb / 1024;
    else if (p == "MemOfferMB")
      v = nodeOf(userdata).config().mem_offer_mb;
    return sd_bus_message_append(reply, "t", v);
  });
}

int getDouble(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
              void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    const NodeStatus& s = nodeOf(userdata).status();
    std::string p = property;
    double v = 0;
    if (p == "CpuPercent")
      v = s.cpu * 100;
    else if (p == "Willingness")
      v = s.power.willingness;
    else if (p == "TemperatureC")
      v = s.temperature_c.value_or(-1);
    else if (p == "MaxBorrowRatio")
      v = nodeOf(userdata).config().max_borrow_ratio;
    else if (p == "GoodwillCoreSeconds")
      v = nodeOf(userdata).config().goodwill_core_s;
    return sd_bus_message_append(reply, "d", v);
  });
}

int getBattery(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
               void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    return sd_bus_message_append(reply, "i", nodeOf(userdata).status().battery_pct.value_or(-1));
  });
}

int getPerCore(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
               void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    std::vector<double> pct;
    for (double f : nodeOf(userdata).status().per_core) pct.push_back(f * 100);
    return sd_bus_message_append_array(reply, 'd', pct.data(), pct.size() * sizeof(double));
  });
}

int getDropped(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
               void* userdata, sd_bus_error* error) {
  // Network packets dropped, by reason: every reason is listed, 0 when none.
  return guarded(error, [&] {
    const Discovery* d = nodeOf(userdata).discovery();
    int r = sd_bus_message_open_container(reply, 'a', "{st}");
    for (DropReason reason : {DropReason::BadKey, DropReason::Malformed, DropReason::Replay,
                              DropReason::Oversize, DropReason::Reflected, DropReason::Stale}) {
      if (r < 0) return r;
      uint64_t n = 0;
      if (d) {
        auto it = d->dropped().find(reason);
        n = it == d->dropped().end() ? 0 : it->second;
      }
      r = sd_bus_message_append(reply, "{st}", dropReasonName(reason), n);
    }
    // Link connections refused in the handshake or identity proof (wrong key, garbage, forgery).
    const Links* links = nodeOf(userdata).links();
    if (r >= 0)
      r = sd_bus_message_append(reply, "{st}", "link_refused", links ? links->refused() : 0);
    return r < 0 ? r : sd_bus_message_close_container(reply);
  });
}

int getFlows(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
             sd_bus_error* error) {
  return guarded(error, [&] {
    int r = sd_bus_message_open_container(reply, 'a', kFlowSignature);
    for (const Flow& f : nodeOf(userdata).flows()) {
      if (r < 0) return r;
      r = sd_bus_message_append(reply, kFlowSignature, f.lending ? "lend" : "borrow", f.job,
                                jobKindName(f.kind), f.peer.c_str(), f.peerFingerprint.c_str(),
                                f.cores, f.done, f.total, f.elapsedMs);
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
  });
}

int getLedger(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
              sd_bus_error* error) {
  return guarded(error, [&] {
    const LedgerStore* ledger = nodeOf(userdata).ledger();
    int r = sd_bus_message_open_container(reply, 'a', kLedgerSignature);
    if (ledger)
      for (const LedgerEntry& e : ledger->entries()) {
        if (r < 0) return r;
        r = sd_bus_message_append(reply, kLedgerSignature, e.name.c_str(), e.fingerprint.c_str(),
                                  e.lent_core_s, e.borrowed_core_s, e.lent_mib_s, e.borrowed_mib_s,
                                  !ledger->allows(e.fingerprint, nullptr),
                                  ledger->cappedThere(e.fingerprint));
      }
    return r < 0 ? r : sd_bus_message_close_container(reply);
  });
}

// Appends the peer array (kPeerSignature) to `m`: ListPeers' reply and the Peers property.
int appendPeers(sd_bus_message* m, Node& node) {
  int r = sd_bus_message_open_container(m, 'a', kPeerSignature);
  const Discovery* d = node.discovery();
  if (d) {
    for (auto& [fp, p] : d->peers().peers()) {
      if (r < 0) break;
      const Links* links = node.links();
      auto link = links ? links->info(fp) : std::nullopt;
      r = sd_bus_message_append(
          m, kPeerSignature, p.name.c_str(), fp.c_str(), p.address.c_str(), p.port,
          shownPeerState(p.state, link.has_value()), static_cast<uint32_t>(p.status.cores),
          p.status.cpu_permille / 10.0, static_cast<uint64_t>(p.status.mem_available_mb),
          powerModeName(p.status.power), p.status.willingness_permille / 1000.0,
          p.status.spare_millicores / 1000.0, node.millisSince(p.last_seen), link ? "up" : "down",
          link ? link->rtt_ms : -1.0);
    }
  }
  return r < 0 ? r : sd_bus_message_close_container(m);
}

int listPeers(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    sd_bus_message* reply = nullptr;
    int r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0) r = appendPeers(reply, nodeOf(userdata));
    if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
  });
}

int getPeers(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
             sd_bus_error* error) {
  return guarded(error, [&] { return appendPeers(reply, nodeOf(userdata)); });
}

const sd_bus_vtable kManagerVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Name", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Fingerprint", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Version", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("StateDirectory", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("AllowExec", "b", getBool, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("ExecConfinement", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Cores", "u", getU32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Workers", "u", getU32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Gpus", "u", getU32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CpuPercent", "d", getDouble, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("CpuPercentPerCore", "ad", getPerCore, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("MemTotalMB", "t", getU64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("MemAvailableMB", "t", getU64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("MemOfferMB", "t", getU64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("PowerMode", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("PowerReason", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Willingness", "d", getDouble, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BatteryPercent", "i", getBattery, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("TemperatureC", "d", getDouble, 0, 0),
    SD_BUS_PROPERTY("StressCores", "u", getU32, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("JobsActive", "u", getU32, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Dropped", "a{st}", getDropped, 0, 0),
    SD_BUS_PROPERTY("Flows", "a(stsssuttt)", getFlows, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Ledger", "a(ssddddbb)", getLedger, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Peers", "a(sssqsudtsddtsd)", getPeers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("MaxBorrowRatio", "d", getDouble, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("GoodwillCoreSeconds", "d", getDouble, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_NAMES("SubmitCpu", "tsa{sv}",
                             SD_BUS_PARAM(millions) SD_BUS_PARAM(seed) SD_BUS_PARAM(options), "o",
                             SD_BUS_PARAM(job), submitCpu, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("SubmitMem", "tta{sv}",
                             SD_BUS_PARAM(megabytes) SD_BUS_PARAM(hold_ms) SD_BUS_PARAM(options),
                             "o", SD_BUS_PARAM(job), submitMem, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Exec", "ashhha(ssbh)asa{sv}",
                             SD_BUS_PARAM(argv) SD_BUS_PARAM(stdout) SD_BUS_PARAM(stderr)
                                 SD_BUS_PARAM(files) SD_BUS_PARAM(puts) SD_BUS_PARAM(gets)
                                     SD_BUS_PARAM(options),
                             "o", SD_BUS_PARAM(job), execMethodHandler, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Stress", "uu", SD_BUS_PARAM(cores) SD_BUS_PARAM(seconds), "", ,
                             stress, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("StopStress", "", "", stopStress, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("CancelJob", "s", SD_BUS_PARAM(id), "", , cancelJob,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("ListJobs", "", , "a(ssssdo)", SD_BUS_PARAM(jobs), listJobs,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("ListPeers", "", , "a(sssqsudtsddtsd)", SD_BUS_PARAM(peers), listPeers,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES(
        "PeerChanged", "ssss",
        SD_BUS_PARAM(fingerprint) SD_BUS_PARAM(name) SD_BUS_PARAM(event) SD_BUS_PARAM(state), 0),
    SD_BUS_SIGNAL_WITH_NAMES("JobNew", "so", SD_BUS_PARAM(id) SD_BUS_PARAM(job), 0),
    SD_BUS_SIGNAL_WITH_NAMES("JobRemoved", "so", SD_BUS_PARAM(id) SD_BUS_PARAM(job), 0),
    SD_BUS_VTABLE_END,
};

}  // namespace

int registerManagerInterface(sd_bus* bus, Node& node, sd_bus_slot** slot) {
  return sd_bus_add_object_vtable(bus, slot, kObjectPath, kManagerInterface, kManagerVtable, &node);
}

void emitPeerEvent(sd_bus* bus, const PeerEvent& e, bool linkUp) {
  static const char* kNames[] = {"joined", "restarted", "moved",   "state",
                                 "left",   "forgotten", "link_up", "link_down"};
  sd_bus_emit_signal(bus, kObjectPath, kManagerInterface, "PeerChanged", "ssss",
                     e.fingerprint.c_str(), e.name.c_str(), kNames[static_cast<int>(e.kind)],
                     e.kind == PeerEvent::Kind::Left || e.kind == PeerEvent::Kind::Forgotten
                         ? "gone"
                     : e.kind == PeerEvent::Kind::LinkUp   ? "up"
                     : e.kind == PeerEvent::Kind::LinkDown ? "down"
                                                           : shownPeerState(e.state, linkUp));
}

void emitManagerChanged(sd_bus* bus, std::initializer_list<const char*> properties) {
  if (!bus) return;
  std::vector<char*> names;
  for (const char* p : properties) names.push_back(const_cast<char*>(p));
  names.push_back(nullptr);
  sd_bus_emit_properties_changed_strv(bus, kObjectPath, kManagerInterface, names.data());
}

}  // namespace vesta
