// What a node's beacon says about its GPUs: whether it lends them now, how many are free, and
// each card (vendor, model, driver, memory, busy %). It travels as an optional section after
// the beacon's fixed body (docs/protocol.md), so a beacon without it still parses. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bytes.h"
#include "gpu_slots.h"
#include "gpus.h"
#include "result.h"

namespace vesta {

struct GpuAdvert {
  struct Card {
    std::string vendor, model, driver;
    uint32_t memory_mb = 0;  // 0: unknown
    uint8_t busy_pct = kUnknownBusy;
    bool held = false;  // a job of ours or a peer's holds it
    bool operator==(const Card&) const = default;
  };
  static constexpr uint8_t kUnknownBusy = 255;
  static constexpr size_t kMaxCards = 4;  // a beacon is at most 512 bytes; more are counted only
  bool lends = false;                     // gpu_offer, and not withheld now (the in-use rule)
  GpuWithheld why = GpuWithheld::No;      // why not, when it has cards and lends none
  uint8_t free = 0;                       // lent and not held
  std::vector<Card> cards;
  bool operator==(const GpuAdvert&) const = default;
};

// This node's advert: its GPUs, what it lends (gpuOffer) and which its jobs hold.
GpuAdvert makeGpuAdvert(const std::vector<Gpu>& gpus, const GpuOffer& offer, const GpuSlots& slots);

// Why `node` (as its advert says) cannot take a job asking for `n` GPUs, or "" when it can:
// "pi4 lends no GPU (gpu_offer is off)", "desk has 1 GPU, not 2". `busy` is set instead when
// it lends enough but they are held now ("desk's 1 GPU is busy"): the job may wait for it.
std::string gpuRefusal(const std::string& node, const GpuAdvert& advert, unsigned gpuCount,
                       unsigned n, std::string* busy);

// The section's body; strings are cut to fit (vendor and driver 12 bytes, model 32).
void encodeGpuAdvert(ByteWriter& w, const GpuAdvert& advert);
// Strict: exact length, flags and ranges; the error says which.
Result<GpuAdvert> decodeGpuAdvert(std::span<const uint8_t> body);

}  // namespace vesta
