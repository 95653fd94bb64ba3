#include "gpu_rows.h"

namespace vesta {
namespace {

void addRows(std::vector<api::GpuRow>& out, const std::string& node, const GpuAdvert& a) {
  for (size_t i = 0; i < a.cards.size(); ++i) {
    const auto& c = a.cards[i];
    api::GpuRow row;
    row.node = node;
    row.index = static_cast<uint32_t>(i);
    row.vendor = c.vendor;
    row.model = c.model;
    row.driver = c.driver;
    row.memoryMb = c.memory_mb;
    row.busyPct = c.busy_pct == GpuAdvert::kUnknownBusy ? -1 : c.busy_pct;
    row.state = c.held ? "busy" : a.lends ? "free" : "not lent";
    if (!a.lends) row.note = gpuWithheldText(a.why == GpuWithheld::No ? GpuWithheld::Off : a.why);
    out.push_back(std::move(row));
  }
}

}  // namespace

std::vector<api::GpuRow> gpuRowsOf(const Node& node) {
  std::vector<api::GpuRow> out;
  addRows(out, node.config().name, node.snapshot().gpu);
  if (const Discovery* d = node.discovery())
    for (auto& [fp, p] : d->peers().peers()) addRows(out, p.name, p.status.gpu);
  return out;
}

}  // namespace vesta
