// The machine's GPUs, read from sysfs and the NVIDIA driver under a root directory (tests pass
// fixture trees), and the rules for lending them: whether this node lends its GPUs now, and
// what a job holding some of them is told and may open. Pure but for reading the files given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lending_budget.h"

namespace vesta {

struct Gpu {
  unsigned index = 0;  // Vesta's own: the position in readGpuList's order (VESTA_GPU)
  std::string vendor;  // "AMD", "NVIDIA", "Intel", or the PCI vendor id ("0x1a03")
  std::string model;   // the NVIDIA driver's Model, amdgpu's product_name, else "device 0x73bf"
  std::string driver;  // the kernel driver: amdgpu, nvidia, i915, xe, vc4, ...
  std::optional<uint64_t> memory_mb;  // VRAM where the driver says (amdgpu's mem_info_vram_total)
  std::optional<unsigned> busy_pct;   // where the kernel exposes it (amdgpu's gpu_busy_percent)
  std::string pci;                    // bus address, 0000:03:00.0; empty when not PCI
  // Its index among the GPUs of its compute runtime (NVIDIA for CUDA, AMD for ROCm/HIP) in PCI
  // order: what CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES count. -1: neither runtime.
  int runtime_index = -1;
  std::vector<std::string> devices;  // the device nodes a job using it needs (/dev/dri/renderD128)
  bool operator==(const Gpu&) const = default;
};

// Every GPU: /sys/class/drm/cardN (not its connectors, cardN-HDMI-A-1), then NVIDIA GPUs that
// only /proc/driver/nvidia/gpus shows (the driver without DRM modesetting); a card both show is
// one GPU, matched by PCI address.
std::vector<Gpu> readGpuList(const std::string& root);

// Whether this node lends its GPUs now, and if not why, for a refusal ("gpu_offer is off").
enum class GpuWithheld : uint8_t { No, NoGpu, Off, InUse, Power };
struct GpuOffer {
  unsigned lent = 0;  // how many GPUs it lends (all or none)
  GpuWithheld why = GpuWithheld::No;
  std::string why_not;  // gpuWithheldText(why)
};
// "lends no GPU (gpu_offer is off)", ...; after the node's name. Empty for No.
std::string gpuWithheldText(GpuWithheld why);
// Off unless the owner said gpu_offer (a GPU job takes the whole card, and a desktop's owner
// notices at once); never while a user is at the keyboard if in_use_offer_pct is 0 (the
// owner-first rule); never while power says lend nothing.
GpuOffer gpuOffer(size_t gpus, bool gpuOfferConfig, UserPresence user, unsigned inUseOfferPct,
                  double willingness);

// What a job holding `held` (indexes into `all`) finds in its environment: VESTA_GPU=the
// indexes; CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES (and HIP_VISIBLE_DEVICES) its GPUs'
// runtime indexes, empty when it holds none of that runtime, so a CUDA program sees only the
// card it was given; CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA counts as we do.
std::vector<std::string> gpuEnvironment(const std::vector<Gpu>& all,
                                        const std::vector<unsigned>& held);

// The device nodes those GPUs need, each once: what the job's confinement lets it open.
std::vector<std::string> gpuDevices(const std::vector<Gpu>& all, const std::vector<unsigned>& held);

// "NVIDIA GeForce RTX 3080 (nvidia, 10240 MiB, 3% busy)": one line for people.
std::string describeGpu(const Gpu& gpu);

}  // namespace vesta
