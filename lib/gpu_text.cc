#include "gpu_text.h"

namespace vesta {

std::string gpuRowText(const api::GpuRow& g) {
  std::string out = std::to_string(g.index) + " ";
  if (g.vendor != "unknown" && g.model.find(g.vendor) == std::string::npos) out += g.vendor + " ";
  out += g.model + " (" + g.driver;
  if (g.memoryMb) out += ", " + std::to_string(g.memoryMb) + " MiB";
  if (g.busyPct >= 0) out += ", " + std::to_string(g.busyPct) + "% busy";
  out += "): ";
  if (g.state == "busy") return out + "lent, a job holds it";
  if (g.state == "free") return out + "lent, free";
  // "lends no GPU (gpu_offer is off)" -> "not lent (gpu_offer is off)"
  std::string note = g.note;
  if (note.rfind("lends no GPU", 0) == 0) note = note.substr(12);
  return out + "not lent" + note;
}

std::vector<api::GpuRow> gpuRowsFor(const std::vector<api::GpuRow>& rows, const std::string& node) {
  std::vector<api::GpuRow> out;
  for (const auto& r : rows)
    if (r.node == node) out.push_back(r);
  return out;
}

}  // namespace vesta
