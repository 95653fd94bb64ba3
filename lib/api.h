// The rows vestad's D-Bus API carries, as typed structs: each has its D-Bus signature and one
// writer and one reader, so vestad writes and vesta and vestatop read the same layout, and a
// field added here is checked by the compiler in all three. The bus format is the one
// docs/dbus-api.md describes; state-like fields are enums here and their names on the bus.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "job.h"
#include "part_state.h"
#include "proto.h"
#include "result.h"

namespace vesta::api {

// One node's part in a job, as Job.Parts shows it: the daemon's own state type (lib/part_state),
// named here too so that the bus readers spell it api::PartState like the other rows' fields.
using vesta::parsePartState;
using vesta::PartState;
using vesta::partStateName;

// A refusal's code on the bus: "other", "busy", "power", "memory", "capped".
const char* refuseCodeName(RefuseCode code);
std::optional<RefuseCode> parseRefuseCode(std::string_view name);

// The one rule between the placement options: a job runs on a named node or here, not both.
// `spelled` is how the caller names the pair ("--on and --local").
Result<void> checkOnLocal(const std::string& on, bool local, const std::string& spelled);

// Manager.Peers and ListPeers: another node this one hears.
struct Peer {
  static constexpr const char* kArraySignature = "a(sssqsudtsddtsdddssus)";
  static constexpr const char* kSignature = kArraySignature + 1;
  std::string name, fingerprint, address;
  uint16_t port = 0;  // its link port
  std::string state;  // alive, unlinked, suspect, dead
  uint32_t cores = 0;
  double cpuPct = 0;
  uint64_t memAvailableMb = 0;
  std::string power;  // grid, solar, battery
  double willingness = 0, spareCores = 0;
  uint64_t lastSeenMs = 0;  // since its last beacon
  bool linkUp = false;      // "up" or "down" on the bus
  double rttMs = -1;        // the link's round trip, -1 unknown
  // Heat, from its beacon: its hottest CPU sensor (-1 none) and the share it leaves (0..1).
  double temperatureC = -1, thermalFactor = 1;
  // What it is, from its beacons: uname -m, Debian's name, word size, uname -r ("", 0: its
  // beacons are older than the platform field).
  std::string machine, debianArch;
  uint32_t bits = 0;
  std::string kernel;
  bool operator==(const Peer&) const = default;
};

// Manager.Flows: work moving between this node and a peer now.
struct Flow {
  static constexpr const char* kArraySignature = "a(stsssuttts)";
  static constexpr const char* kSignature = kArraySignature + 1;
  bool lending = false;  // "lend": this node runs a peer's job; "borrow": a peer runs ours
  uint64_t job = 0;      // the job's id on the node that submitted it
  JobKind kind = JobKind::Cpu;
  std::string peer, peerFingerprint;
  uint32_t cores = 0;
  uint64_t done = 0, total = 0;  // units: cpu iterations, mem pages + held ms; exec: 0 of 0
  uint64_t elapsedMs = 0;
  std::string paused;  // why its runner paused it for its owner; empty: running
  double progress() const {
    return total ? static_cast<double>(done) / static_cast<double>(total) : 0;
  }
  bool operator==(const Flow&) const = default;
};

// Manager.Ledger: the exchange with one peer.
struct LedgerRow {
  static constexpr const char* kArraySignature = "a(ssddddbb)";
  static constexpr const char* kSignature = kArraySignature + 1;
  std::string name, fingerprint;
  double lentCoreS = 0, borrowedCoreS = 0, lentMibS = 0, borrowedMibS = 0;
  bool capped = false;       // it may not borrow from us now
  bool cappedThere = false;  // it would refuse us
  bool operator==(const LedgerRow&) const = default;
};

// ListJobs: one recent job.
struct JobRow {
  static constexpr const char* kArraySignature = "a(ssssdo)";
  static constexpr const char* kSignature = kArraySignature + 1;
  std::string id;
  JobKind kind = JobKind::Cpu;
  JobState state = JobState::Queued;
  std::string node;
  double progress = 0;
  std::string path;  // the job object
  bool operator==(const JobRow&) const = default;
};

// Job.Parts: one node asked to run (part of) a job.
struct Part {
  static constexpr const char* kArraySignature = "a(sstts)";
  static constexpr const char* kSignature = kArraySignature + 1;
  std::string node;
  PartState state = PartState::Offered;
  uint64_t iterations = 0, chunks = 0;  // what it finished
  std::string note;                     // why it refused or was lost
  bool operator==(const Part&) const = default;
};

// Job.Refusals: a node that would not take (part of) a job, and why.
struct Refusal {
  static constexpr const char* kArraySignature = "a(sss)";
  static constexpr const char* kSignature = kArraySignature + 1;
  RefuseCode code = RefuseCode::Other;
  std::string node, text;
  bool operator==(const Refusal&) const = default;
};

// Manager.GpuList: a GPU of this node or of a peer, as its beacon advertises it.
struct GpuRow {
  static constexpr const char* kArraySignature = "a(susssuiss)";
  static constexpr const char* kSignature = kArraySignature + 1;
  std::string node;
  uint32_t index = 0;
  std::string vendor, model, driver;
  uint32_t memoryMb = 0;  // 0: unknown
  int32_t busyPct = -1;   // -1: unknown
  std::string state;      // "free" (lent, free), "busy" (a job holds it), "not lent"
  std::string note;       // why not lent ("lends no GPU (gpu_offer is off)")
  bool operator==(const GpuRow&) const = default;
};

// The Manager's properties (what GetAll returns): this node's status and, as rows, its peers,
// flows and ledger. vesta status and vestatop read this one snapshot.
struct NodeInfo {
  static constexpr const char* kSignature = "a{sv}";
  std::string name, fingerprint, version, stateDirectory;
  bool allowExec = false;
  std::string execConfinement;
  uint32_t cores = 0, workers = 0, gpus = 0;
  std::string machine, debianArch, kernel;  // uname -m, Debian's name ("" if none), uname -r
  uint32_t wordBits = 0;                    // the word size of vestad's user space
  double cpuPct = 0;
  std::vector<double> cpuPctPerCore;
  uint64_t memTotalMb = 0, memAvailableMb = 0, memOfferMb = 0;
  std::string powerMode, powerReason;
  double willingness = 0;
  int32_t batteryPct = -1;   // -1: no battery
  double temperatureC = -1;  // -1: unknown
  uint32_t stressCores = 0, jobsActive = 0;
  std::map<std::string, uint64_t> dropped;  // packets dropped, by reason
  std::vector<Flow> flows;
  std::vector<LedgerRow> ledger;
  std::vector<Peer> peers;
  double maxBorrowRatio = 0, goodwillCoreSeconds = 0;
  std::vector<GpuRow> gpuList;  // this node's GPUs, then its peers'
  // The owner first (lib/lending_budget, recomputed every sample): the owner's own load and the
  // borrowed work's (% of the whole machine), the offer now (the in-use rule applied), the
  // budget, the heat's share, whether someone is at the keyboard, and all of it in words.
  double ownerCpuPct = 0, borrowedCpuPct = 0;
  double offerCores = 0, lendingBudgetCores = 0, thermalFactor = 1;
  std::string userPresence = "unknown", budgetSummary;  // unknown, active, away
  bool operator==(const NodeInfo&) const = default;
};

// A job object's properties.
struct JobInfo {
  static constexpr const char* kSignature = "a{sv}";
  std::string id;
  JobKind kind = JobKind::Cpu;
  std::string origin, node, reason;
  JobState state = JobState::Queued;
  double progress = 0;
  std::string result, error;
  uint64_t elapsedMs = 0, iterations = 0;
  std::string seed;
  uint64_t memoryMb = 0, holdMs = 0;
  uint32_t workers = 0;
  std::string command;
  int32_t exitStatus = -1;  // -1: it never ran
  std::string pauseReason;  // while paused: why its runner paused it
  std::vector<Part> parts;
  std::vector<Refusal> refusals;
  bool operator==(const JobInfo&) const = default;
};

// Writers append one row (or, for NodeInfo and JobInfo, the a{sv} of every property) and
// return sd-bus's result. Readers read one; one given another signature fails naming both.
int write(sd_bus_message* m, const Peer& row);
int write(sd_bus_message* m, const Flow& row);
int write(sd_bus_message* m, const LedgerRow& row);
int write(sd_bus_message* m, const JobRow& row);
int write(sd_bus_message* m, const Part& row);
int write(sd_bus_message* m, const Refusal& row);
int write(sd_bus_message* m, const GpuRow& row);
int write(sd_bus_message* m, const NodeInfo& info);
int write(sd_bus_message* m, const JobInfo& info);
Result<void> read(sd_bus_message* m, Peer& row);
Result<void> read(sd_bus_message* m, Flow& row);
Result<void> read(sd_bus_message* m, LedgerRow& row);
Result<void> read(sd_bus_message* m, JobRow& row);
Result<void> read(sd_bus_message* m, Part& row);
Result<void> read(sd_bus_message* m, Refusal& row);
Result<void> read(sd_bus_message* m, GpuRow& row);
Result<void> read(sd_bus_message* m, NodeInfo& info);  // unknown properties are skipped
Result<void> read(sd_bus_message* m, JobInfo& info);

// The value of one property, for a vtable getter (`property` as sd-bus names it).
int writeProperty(sd_bus_message* m, const NodeInfo& info, std::string_view property);
int writeProperty(sd_bus_message* m, const JobInfo& info, std::string_view property);

// An array of rows, e.g. a(sssqsudtsddtsdddssus) of peers.
template <typename Row>
int writeArray(sd_bus_message* m, const std::vector<Row>& rows) {
  int r = sd_bus_message_open_container(m, 'a', Row::kSignature);
  for (const Row& row : rows)
    if (r >= 0) r = write(m, row);
  return r < 0 ? r : sd_bus_message_close_container(m);
}

// Checks that the next item of `m` is of `type` with `contents` (a struct's without parens).
Result<void> expectNext(sd_bus_message* m, char type, const std::string& contents,
                        const char* what);

template <typename Row>
Result<void> readArray(sd_bus_message* m, std::vector<Row>& rows) {
  std::string inner = Row::kSignature;
  if (auto ok = expectNext(m, 'a', inner, "an array of rows"); !ok) return ok;
  if (sd_bus_message_enter_container(m, 'a', Row::kSignature) < 0)
    return fail(std::string("cannot enter a") + Row::kSignature);
  rows.clear();
  while (sd_bus_message_at_end(m, false) == 0) {
    Row row;
    if (auto ok = read(m, row); !ok) return ok;
    rows.push_back(std::move(row));
  }
  if (sd_bus_message_exit_container(m) < 0)
    return fail(std::string("cannot leave a") + Row::kSignature);
  return {};
}

}  // namespace vesta::api
