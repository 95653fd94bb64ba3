#include "admission.h"

#include <cstdio>

namespace vesta {
namespace {

std::string oneDecimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string percent(double fraction) {
  return std::to_string(static_cast<int>(fraction * 100 + 0.5)) + "%";
}

std::optional<Refusal> refuse(RefuseCode code, std::string text) {
  return Refusal{code, std::move(text)};
}

std::optional<Refusal> power(const AdmissionInput& in) {
  if (in.willingness > 0) return std::nullopt;
  if (in.advertised)
    return refuse(RefuseCode::Power, in.node + " lends nothing (battery below minimum)");
  return refuse(RefuseCode::Power, in.node + " lends nothing now (" + in.powerReason + ")");
}

std::optional<Refusal> cap(const AdmissionInput& in) {
  if (in.capped.empty()) return std::nullopt;
  if (in.advertised)
    return refuse(RefuseCode::Capped,
                  in.node + " would refuse: this node is over its borrowing cap there");
  return refuse(RefuseCode::Capped, in.node + ": " + in.capped);
}

std::optional<Refusal> memory(const AdmissionInput& in) {
  if (!in.advertised) {
    auto fits =
        memoryFits(in.memMb, in.memOfferMb, in.memAvailableMb, in.memReserveMb, in.reservePct);
    if (fits) return std::nullopt;
    return refuse(RefuseCode::Memory, in.node + ": " + fits.error());
  }
  if (in.memMb > in.memOfferMb)
    return refuse(RefuseCode::Memory, in.node + ": " + std::to_string(in.memMb) +
                                          " MiB is more than its mem_offer_mb " +
                                          std::to_string(in.memOfferMb) + " MiB");
  if (in.memMb > in.memAvailableMb)
    return refuse(RefuseCode::Memory, in.node + " has room for " +
                                          std::to_string(in.memAvailableMb) + " MiB now, not " +
                                          std::to_string(in.memMb));
  return std::nullopt;
}

// The submitter's own commands there are busy cores in a measurement: only the owner's load and
// other peers' work count against it.
std::optional<Refusal> cores(const AdmissionInput& in) {
  if (in.spareCores + in.running >= kMinSpareCores) return std::nullopt;
  if (in.advertised)
    return refuse(RefuseCode::Busy, in.node + " has " + oneDecimal(in.spareCores) + " spare cores");
  std::string text = in.node + " is busy: " + percent(in.cpuBusy) + " CPU";
  if (in.kind == JobKind::Cpu) text += ", " + oneDecimal(in.spareCores) + " spare cores";
  return refuse(RefuseCode::Busy, text);
}

}  // namespace

Result<void> memoryFits(uint64_t mb, uint64_t offerMb, uint64_t availableMb, uint64_t reserveMb,
                        uint32_t reservePct) {
  if (mb > offerMb)
    return fail(std::to_string(mb) + " MiB is more than mem_offer_mb " + std::to_string(offerMb) +
                " MiB; ask for less or raise mem_offer_mb in the node's config");
  uint64_t room = availableMb > reserveMb ? availableMb - reserveMb : 0;
  if (mb > room)
    return fail(std::to_string(mb) + " MiB would eat into the owner's reserve: " +
                std::to_string(availableMb) + " MiB available, " + std::to_string(reserveMb) +
                " MiB reserved (reserve_pct " + std::to_string(reservePct) + "), so at most " +
                std::to_string(room) + " MiB fits now");
  return {};
}

std::optional<Refusal> admit(const AdmissionInput& in) {
  if (!in.own) {
    // A submitter sees the cap first (it is about this node); a runner its own power first.
    auto first = in.advertised ? cap(in) : power(in);
    if (first) return first;
    if (auto second = in.advertised ? power(in) : cap(in)) return second;
  }
  switch (in.kind) {
    case JobKind::Mem:
      return memory(in);
    case JobKind::Cpu:
      if (in.own) return std::nullopt;  // the owner's work runs here even when busy
      return cores(in);
    case JobKind::Exec:
      if (!in.own) {
        if (auto busy = in.byName ? std::nullopt : cores(in)) return busy;
        // A command's mem_mb is a limit, not a reservation: only the offer bounds it.
        if (in.memMb > in.memOfferMb)
          return refuse(RefuseCode::Memory, in.node + ": " + std::to_string(in.memMb) +
                                                " MiB is more than its mem_offer_mb " +
                                                std::to_string(in.memOfferMb) + " MiB");
      }
      if (in.policy)
        if (std::string why = execWouldRefuse(*in.policy, in.node, in.argv0, in.shipped);
            !why.empty())
          return refuse(RefuseCode::Other, why);
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace vesta
