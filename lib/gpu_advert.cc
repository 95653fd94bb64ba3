#include "gpu_advert.h"

#include <algorithm>

namespace vesta {
namespace {

std::string cut(const std::string& s, size_t n) {
  return s.size() > n ? s.substr(0, n) : s;
}

bool printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

}  // namespace

GpuAdvert makeGpuAdvert(const std::vector<Gpu>& gpus, const GpuOffer& offer,
                        const GpuSlots& slots) {
  GpuAdvert a;
  a.lends = offer.lent > 0;
  a.why = gpus.empty() ? GpuWithheld::No : offer.why;
  a.free = static_cast<uint8_t>(a.lends ? std::min(slots.free(), 255u) : 0);
  for (const auto& g : gpus) {
    if (a.cards.size() == GpuAdvert::kMaxCards) break;
    GpuAdvert::Card c;
    c.vendor = cut(g.vendor, 12);
    c.model = cut(g.model, 32);
    c.driver = cut(g.driver, 12);
    c.memory_mb = static_cast<uint32_t>(std::min<uint64_t>(g.memory_mb.value_or(0), UINT32_MAX));
    c.busy_pct = g.busy_pct ? static_cast<uint8_t>(*g.busy_pct) : GpuAdvert::kUnknownBusy;
    c.held = slots.held(g.index);
    a.cards.push_back(std::move(c));
  }
  return a;
}

std::string gpuRefusal(const std::string& node, const GpuAdvert& a, unsigned gpuCount, unsigned n,
                       std::string* busy) {
  if (n == 0) return "";
  auto gpus = [](unsigned k) { return std::to_string(k) + (k == 1 ? " GPU" : " GPUs"); };
  if (gpuCount == 0) return node + " has no GPU";
  if (!a.lends)
    return node + " " + gpuWithheldText(a.why == GpuWithheld::No ? GpuWithheld::Off : a.why);
  if (gpuCount < n) return node + " has " + gpus(gpuCount) + ", not " + std::to_string(n);
  if (a.free < n && busy)
    *busy = a.free == 0
                ? node + "'s " + gpus(gpuCount) + (gpuCount == 1 ? " is" : " are") + " busy"
                : node + " has " + std::to_string(a.free) + " of " + gpus(gpuCount) + " free";
  return "";
}

void encodeGpuAdvert(ByteWriter& w, const GpuAdvert& a) {
  // bit 0: lends; bits 1-3: why not (GpuWithheld).
  w.u8(static_cast<uint8_t>((a.lends ? 1 : 0) | static_cast<uint8_t>(a.why) << 1));
  w.u8(a.free);
  size_t n = std::min(a.cards.size(), GpuAdvert::kMaxCards);
  w.u8(static_cast<uint8_t>(n));
  for (size_t i = 0; i < n; ++i) {
    const auto& c = a.cards[i];
    w.shortString(cut(c.vendor, 12));
    w.shortString(cut(c.model, 32));
    w.shortString(cut(c.driver, 12));
    w.u32(c.memory_mb);
    w.u8(c.busy_pct);
    w.u8(c.held ? 1 : 0);
  }
}

Result<GpuAdvert> decodeGpuAdvert(std::span<const uint8_t> body) {
  ByteReader r(body);
  GpuAdvert a;
  uint8_t flags = r.u8();
  a.free = r.u8();
  size_t n = r.u8();
  if (n > GpuAdvert::kMaxCards) return fail("gpus: " + std::to_string(n) + " cards, at most 4");
  for (size_t i = 0; i < n && r.ok(); ++i) {
    GpuAdvert::Card c;
    c.vendor = r.shortString();
    c.model = r.shortString();
    c.driver = r.shortString();
    c.memory_mb = r.u32();
    c.busy_pct = r.u8();
    uint8_t held = r.u8();
    if (held > 1) return fail("gpus: held is neither 0 nor 1");
    c.held = held;
    if (c.vendor.size() > 12 || c.model.size() > 32 || c.driver.size() > 12 ||
        !printable(c.vendor) || !printable(c.model) || !printable(c.driver))
      return fail("gpus: a name is too long or not printable");
    if (c.busy_pct > 100 && c.busy_pct != GpuAdvert::kUnknownBusy)
      return fail("gpus: busy " + std::to_string(c.busy_pct) + "%");
    a.cards.push_back(std::move(c));
  }
  if (!r.done()) return fail("gpus: short or trailing bytes");
  uint8_t why = static_cast<uint8_t>(flags >> 1);
  if (flags > 15 || why > static_cast<uint8_t>(GpuWithheld::Power))
    return fail("gpus: unknown flags");
  a.lends = flags & 1;
  a.why = static_cast<GpuWithheld>(why);
  if (a.lends && a.why != GpuWithheld::No) return fail("gpus: lends and withholds at once");
  if (!a.lends && a.free) return fail("gpus: free GPUs on a node that lends none");
  return a;
}

}  // namespace vesta
