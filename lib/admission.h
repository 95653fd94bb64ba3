// Whether a piece of work may be admitted on a node now and, if not, why (a refusal code and a
// sentence). One decision, fed by a plain struct: placement asks it about a peer from the peer's
// advertised snapshot, and every runner (lender, exec runner) asks it again on arrival from its
// own fresh measurement, because a submitter's view is seconds old. Pure: no clock, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "exec_policy.h"
#include "job.h"
#include "proto.h"
#include "result.h"

namespace vesta {

// A node lending cpu work must have at least this many spare cores (after the reserve, the offer
// and the power willingness), or the work would only slow its owner down.
inline constexpr double kMinSpareCores = 0.5;

struct AdmissionInput {
  std::string node;  // the node judged, for the text ("pi4 is busy: ...")
  JobKind kind = JobKind::Cpu;
  // This node's own work: power and the borrowing cap limit lending only, and the owner's cpu
  // and exec work runs even when the machine is busy.
  bool own = false;
  // Placement judging a peer by its beacon, not a runner by its own measurement: the texts say
  // what the submitter can know ("pi4 has 0.3 spare cores").
  bool advertised = false;
  // Power: the share it lends now (0..1), and why (empty when advertised).
  double willingness = 1;
  std::string powerReason;
  // The borrowing gate (lib/ledger) on the submitter there: empty while it may borrow more,
  // else the gate's words.
  std::string capped;
  // Cpu and exec: what it lends now (already scaled by willingness), its busy share, and how
  // many of the submitter's own commands run there (their load counts as busy in a measurement).
  double spareCores = 0;
  double cpuBusy = 0;  // 0..1
  unsigned running = 0;
  bool byName = false;  // exec placed with --on: the node judges its own load on arrival
  // Memory: what the job asks, what the node offers jobs, and what it holds now.
  uint64_t memMb = 0;
  uint64_t memOfferMb = 0;
  uint64_t memAvailableMb = 0;  // advertised: already less the reserve
  uint64_t memReserveMb = 0;    // measured only: the owner's reserve, reserve_pct of MemTotal
  uint32_t reservePct = 0;
  // Exec, judged from the node's advertised policy (no file system): may it run `argv0`? A
  // runner judges its own policy on the resolved program (lib/exec_policy execRefusal).
  const ExecPolicy* policy = nullptr;
  std::string argv0;
  bool shipped = false;
};

struct Refusal {
  RefuseCode code = RefuseCode::Other;
  std::string text;
  bool operator==(const Refusal&) const = default;
};

// nullopt: admit it. The checks in order: power, the borrowing cap, then what the kind needs
// (memory for mem jobs; spare cores for cpu jobs; spare cores, the memory offer and the policy
// for exec).
std::optional<Refusal> admit(const AdmissionInput& in);

// Whether `mb` MiB fits now on a measured node: at most the offer, and at most MemAvailable
// minus the reserve. The error says which limit and how to change it.
Result<void> memoryFits(uint64_t mb, uint64_t offerMb, uint64_t availableMb, uint64_t reserveMb,
                        uint32_t reservePct);

}  // namespace vesta
