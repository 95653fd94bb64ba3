// org.vesta.Vestad1.Manager at /org/vesta/Vestad1: the node's live state as properties, and the
// methods that submit jobs, stress the node and cancel jobs (docs/dbus-api.md).
#include <set>

#include "api.h"
#include "bus_util.h"
#include "gpu_rows.h"
#include "node.h"
#include "presence.h"
#include "spawn.h"
#include "vesta_version.h"

namespace vesta {
namespace {

Node& nodeOf(void* userdata) {
  return *static_cast<Node*>(userdata);
}
// What the property getters see: the node read-only, so reading a property cannot change it.
const Node& viewOf(void* userdata) {
  return *static_cast<const Node*>(userdata);
}

// Reads the a{sv} options argument into a placement request: "on" (s, a node name), "local"
// (b), "no_split" (b).
int readOptions(sd_bus_message* m, sd_bus_error* error, PlacementRequest& how) {
  int r = readOptionDict(m, error, "on, local, no_split", [&](const std::string& k) {
    if (k == "on") {
      const char* node = nullptr;
      if (sd_bus_message_read(m, "v", "s", &node) < 0)
        return replyError(error, kErrorInvalidArgument, "option \"on\" takes a string");
      if (!*node) return replyError(error, kErrorInvalidArgument, emptyOn());
      how.on = node;
    } else if (k == "local" || k == "no_split") {
      int flag = 0;
      if (sd_bus_message_read(m, "v", "b", &flag) < 0)
        return replyError(error, kErrorInvalidArgument, "option \"" + k + "\" takes a boolean");
      (k == "local" ? how.local : how.no_split) = flag != 0;
    } else {
      return 0;
    }
    return 1;
  });
  if (r < 0) return r;
  if (auto ok = api::checkOnLocal(how.on, how.local, kOnAndLocal); !ok)
    return replyError(error, kErrorInvalidArgument, ok.error());
  return r;
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

// Replies to a List method with its rows.
template <typename Row>
int replyRows(sd_bus_message* m, const std::vector<Row>& rows) {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = api::writeArray(reply, rows);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int listJobs(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    std::vector<api::JobRow> rows;
    for (auto& [id, job] : viewOf(userdata).jobs().all())
      rows.push_back(
          {job->idText(), job->kind, job->state, job->node, job->progress(), jobPath(id)});
    return replyRows(m, rows);
  });
}

// This node's status as the Manager's properties show it (the rows are read on their own).
api::NodeInfo statusOf(const Node& n) {
  const NodeStatus& s = n.status();
  const Config& c = n.config();
  api::NodeInfo info;
  info.name = c.name;
  info.fingerprint = n.identity().fingerprint();
  info.version = VESTA_VERSION;
  info.stateDirectory = n.stateDir();
  info.allowExec = c.allow_exec;
  info.execConfinement = confinementSummary();
  info.cores = s.cores;
  info.workers = n.workers();
  info.gpus = static_cast<uint32_t>(s.gpus);
  info.machine = s.platform.arch.machine;
  info.debianArch = s.platform.arch.debianName();
  info.wordBits = s.platform.arch.bits;
  info.kernel = s.platform.kernel;
  info.cpuPct = s.cpu * 100;
  for (double f : s.per_core) info.cpuPctPerCore.push_back(f * 100);
  info.memTotalMb = s.mem.total_kb / 1024;
  info.memAvailableMb = s.mem.available_kb / 1024;
  info.memOfferMb = c.mem_offer_mb;
  info.powerMode = powerModeName(s.power.mode);
  info.powerReason = s.power.reason;
  info.willingness = s.power.willingness;
  info.batteryPct = s.battery_pct.value_or(-1);
  info.temperatureC = s.temperature_c.value_or(-1);
  info.stressCores = n.stressCores();
  info.jobsActive = static_cast<uint32_t>(n.jobs().active());
  info.maxBorrowRatio = c.max_borrow_ratio;
  info.goodwillCoreSeconds = c.goodwill_core_s;
  double cores = s.cores ? s.cores : 1;
  info.ownerCpuPct = s.budget.ownerCores / cores * 100;
  info.borrowedCpuPct = s.borrowedBusyCores / cores * 100;
  info.offerCores = s.budget.offerCores;
  info.lendingBudgetCores = s.budget.cores;
  info.thermalFactor = s.budget.thermalFactor;
  info.userPresence = userPresenceName(s.user);
  info.budgetSummary = s.budget.summary;
  return info;
}

// Network packets dropped, by reason: every reason is listed, 0 when none; and link
// connections refused in the handshake or identity proof (wrong key, garbage, forgery).
std::map<std::string, uint64_t> droppedOf(const Node& node) {
  std::map<std::string, uint64_t> out;
  const Discovery* d = node.discovery();
  for (DropReason reason : {DropReason::BadKey, DropReason::Malformed, DropReason::Replay,
                            DropReason::Oversize, DropReason::Reflected, DropReason::Stale}) {
    auto it = d ? d->dropped().find(reason) : std::map<DropReason, uint64_t>::const_iterator{};
    out[dropReasonName(reason)] = d && it != d->dropped().end() ? it->second : 0;
  }
  out["link_refused"] = node.links() ? node.links()->refused() : 0;
  return out;
}

std::vector<api::Flow> flowsOf(const Node& node) {
  std::vector<api::Flow> out;
  for (const Flow& f : node.flows())
    out.push_back({f.lending, f.job, f.kind, f.peer, f.peerFingerprint, f.cores, f.done, f.total,
                   f.elapsedMs, f.paused});
  return out;
}

std::vector<api::LedgerRow> ledgerOf(const Node& node) {
  std::vector<api::LedgerRow> out;
  if (const LedgerStore* ledger = node.ledger())
    for (const LedgerEntry& e : ledger->entries())
      out.push_back({e.name, e.fingerprint, e.lent_core_s, e.borrowed_core_s, e.lent_mib_s,
                     e.borrowed_mib_s, !ledger->allows(e.fingerprint, nullptr),
                     ledger->cappedThere(e.fingerprint)});
  return out;
}

std::vector<api::Peer> peersOf(const Node& node) {
  std::vector<api::Peer> out;
  const Discovery* d = node.discovery();
  if (!d) return out;
  const Links* links = node.links();
  for (auto& [fp, p] : d->peers().peers()) {
    auto link = links ? links->info(fp) : std::nullopt;
    out.push_back(
        {p.name,
         fp,
         p.address,
         p.port,
         shownPeerState(p.state, link.has_value()),
         static_cast<uint32_t>(p.status.cores),
         p.status.cpu_permille / 10.0,
         static_cast<uint64_t>(p.status.mem_available_mb),
         powerModeName(p.status.power),
         p.status.willingness_permille / 1000.0,
         p.status.spare_millicores / 1000.0,
         node.millisSince(p.last_seen),
         link.has_value(),
         link ? link->rtt_ms : -1.0,
         p.status.temp_decicelsius == kNoTemperature ? -1.0 : p.status.temp_decicelsius / 10.0,
         p.status.thermal_permille / 1000.0,
         p.status.platform.arch.machine,
         p.status.platform.arch.debianName(),
         p.status.platform.arch.bits,
         p.status.platform.kernel});
  }
  return out;
}

// One getter for every property: `property` names which. The rows are built only when asked.
int getProperty(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
                void* userdata, sd_bus_error* error) {
  return guarded(error, [&] {
    const Node& n = viewOf(userdata);
    std::string_view p = property;
    if (p == "Dropped" || p == "Flows" || p == "Ledger" || p == "Peers" || p == "GpuList") {
      api::NodeInfo rows;
      if (p == "Dropped") rows.dropped = droppedOf(n);
      if (p == "Flows") rows.flows = flowsOf(n);
      if (p == "Ledger") rows.ledger = ledgerOf(n);
      if (p == "Peers") rows.peers = peersOf(n);
      if (p == "GpuList") rows.gpuList = gpuRowsOf(n);
      return api::writeProperty(reply, rows, p);
    }
    return api::writeProperty(reply, statusOf(n), p);
  });
}

int listPeers(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return guarded(error, [&] { return replyRows(m, peersOf(viewOf(userdata))); });
}

const sd_bus_vtable kManagerVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Name", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Fingerprint", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Version", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("StateDirectory", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("AllowExec", "b", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("ExecConfinement", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Cores", "u", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Workers", "u", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Gpus", "u", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Machine", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("DebianArch", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("WordBits", "u", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Kernel", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("CpuPercent", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("CpuPercentPerCore", "ad", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("MemTotalMB", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("MemAvailableMB", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("MemOfferMB", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("PowerMode", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("PowerReason", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Willingness", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BatteryPercent", "i", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("TemperatureC", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("StressCores", "u", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("JobsActive", "u", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Dropped", "a{st}", getProperty, 0, 0),
    SD_BUS_PROPERTY("Flows", api::Flow::kArraySignature, getProperty, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Ledger", api::LedgerRow::kArraySignature, getProperty, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Peers", api::Peer::kArraySignature, getProperty, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("MaxBorrowRatio", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("GoodwillCoreSeconds", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("GpuList", api::GpuRow::kArraySignature, getProperty, 0, 0),
    // The owner first (docs/dbus-api.md): the loads change every sample, the rest when it does.
    SD_BUS_PROPERTY("OwnerCpuPercent", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BorrowedCpuPercent", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("OfferCores", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("LendingBudgetCores", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ThermalFactor", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("UserPresence", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BudgetSummary", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
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
    SD_BUS_METHOD_WITH_NAMES("ListJobs", "", , api::JobRow::kArraySignature, SD_BUS_PARAM(jobs),
                             listJobs, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("ListPeers", "", , api::Peer::kArraySignature, SD_BUS_PARAM(peers),
                             listPeers, SD_BUS_VTABLE_UNPRIVILEGED),
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
