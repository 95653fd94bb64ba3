#include "gpus.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <map>

#include "sysstat.h"

namespace vesta {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return std::string(s);
}

std::optional<uint64_t> toU64(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "card12" -> 12; connectors ("card0-HDMI-A-1") and anything else -> nullopt.
std::optional<uint64_t> cardNumber(const std::string& name) {
  if (name.rfind("card", 0) != 0) return std::nullopt;
  return toU64(std::string_view(name).substr(4));
}

// "Key: value" lines (uevent's KEY=value too): the value of `key`, trimmed.
std::string field(std::string_view text, std::string_view key, char sep) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    size_t at = line.find(sep);
    if (at != std::string_view::npos && trim(line.substr(0, at)) == key)
      return trim(line.substr(at + 1));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return "";
}

std::string vendorName(const std::string& pciId, const std::string& driver) {
  if (pciId == "0x1002") return "AMD";
  if (pciId == "0x10de") return "NVIDIA";
  if (pciId == "0x8086") return "Intel";
  if (!pciId.empty()) return pciId;
  if (driver == "vc4" || driver == "v3d") return "Broadcom";
  if (driver == "nvidia") return "NVIDIA";
  return "unknown";
}

// Text a driver wrote, made safe for one line of a beacon or a terminal.
std::string printable(std::string s, size_t max) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (s.size() > max) s.resize(max);
  return trim(s);
}

// The DRM view: one GPU per cardN. Framebuffer-only "cards" (simpledrm before the real driver
// loads) are not GPUs.
void readDrm(const std::string& root, std::vector<Gpu>& out) {
  const std::string base = "/sys/class/drm";
  std::vector<std::pair<uint64_t, std::string>> cards;
  for (const auto& name : listSysDir(root, base))
    if (auto n = cardNumber(name)) cards.emplace_back(*n, name);
  std::sort(cards.begin(), cards.end());
  for (const auto& card : cards) {
    const std::string& name = card.second;
    std::string dev = base + "/" + name + "/device";
    auto attr = [&](const char* f) { return trim(readSysFile(root, dev + "/" + f).value_or("")); };
    std::string uevent = readSysFile(root, dev + "/uevent").value_or("");
    Gpu g;
    g.driver = field(uevent, "DRIVER", '=');
    if (g.driver.empty()) {
      // The driver symlink's name, where uevent does not say it.
      char link[PATH_MAX];
      ssize_t n = ::readlink(sysPath(root, dev + "/driver").c_str(), link, sizeof link - 1);
      if (n > 0) {
        std::string target(link, static_cast<size_t>(n));
        g.driver = target.substr(target.rfind('/') + 1);
      }
    }
    if (g.driver == "simpledrm" || g.driver == "simple-framebuffer") continue;
    g.pci = field(uevent, "PCI_SLOT_NAME", '=');
    std::string vendorId = attr("vendor"), deviceId = attr("device");
    if (std::string pciId = field(uevent, "PCI_ID", '='); vendorId.empty() && pciId.size() == 9) {
      vendorId = "0x" + pciId.substr(0, 4);
      deviceId = "0x" + pciId.substr(5);
      for (char& c : vendorId) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (char& c : deviceId) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    g.vendor = vendorName(vendorId, g.driver);
    g.model = printable(attr("product_name"), 64);
    if (g.model.empty()) g.model = deviceId.empty() ? g.driver : "device " + deviceId;
    if (auto bytes = toU64(attr("mem_info_vram_total")); bytes && *bytes > 0)
      g.memory_mb = *bytes / (1024 * 1024);
    if (auto busy = toU64(attr("gpu_busy_percent")); busy && *busy <= 100)
      g.busy_pct = static_cast<unsigned>(*busy);
    // Compute goes through the render node; the card node is for display.
    for (const auto& node : listSysDir(root, dev + "/drm"))
      if (node.rfind("renderD", 0) == 0) g.devices.push_back("/dev/dri/" + node);
    if (g.devices.empty()) g.devices.push_back("/dev/dri/" + name);
    if (g.driver == "amdgpu") g.devices.push_back("/dev/kfd");  // ROCm's compute queue
    out.push_back(std::move(g));
  }
}

// The NVIDIA driver's view: /proc/driver/nvidia/gpus/<pci>/information. It names the model
// and the device minor (/dev/nvidiaN); a card DRM shows too is completed, not counted twice.
void readNvidia(const std::string& root, std::vector<Gpu>& out) {
  const std::string base = "/proc/driver/nvidia/gpus";
  for (const auto& pci : listSysDir(root, base)) {
    std::string info = readSysFile(root, base + "/" + pci + "/information").value_or("");
    const std::string& location = pci;  // the directory is named by the card's bus address
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const Gpu& g) { return !g.pci.empty() && g.pci == location; });
    Gpu fresh;
    Gpu& g = same != out.end() ? *same : fresh;
    g.pci = location;
    g.vendor = "NVIDIA";
    g.driver = "nvidia";
    if (std::string model = printable(field(info, "Model", ':'), 64); !model.empty())
      g.model = model;
    if (g.model.empty()) g.model = "NVIDIA GPU";
    g.devices.clear();
    if (auto minor = toU64(field(info, "Device Minor", ':')))
      g.devices.push_back("/dev/nvidia" + std::to_string(*minor));
    for (const char* d : {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"})
      g.devices.push_back(d);
    if (same == out.end()) out.push_back(std::move(fresh));
  }
}

}  // namespace

std::vector<Gpu> readGpuList(const std::string& root) {
  std::vector<Gpu> out;
  readDrm(root, out);
  readNvidia(root, out);
  // Runtime indexes count a runtime's GPUs in PCI order (CUDA_DEVICE_ORDER=PCI_BUS_ID).
  std::map<std::string, std::vector<Gpu*>> byRuntime;
  for (auto& g : out) {
    if (g.driver == "nvidia") byRuntime["cuda"].push_back(&g);
    if (g.driver == "amdgpu") byRuntime["rocm"].push_back(&g);
  }
  for (auto& [runtime, gpus] : byRuntime) {
    std::stable_sort(gpus.begin(), gpus.end(),
                     [](const Gpu* a, const Gpu* b) { return a->pci < b->pci; });
    for (size_t i = 0; i < gpus.size(); ++i) gpus[i]->runtime_index = static_cast<int>(i);
  }
  for (size_t i = 0; i < out.size(); ++i) out[i].index = static_cast<unsigned>(i);
  return out;
}

std::string gpuWithheldText(GpuWithheld why) {
  switch (why) {
    case GpuWithheld::No:
      return "";
    case GpuWithheld::NoGpu:
      return "has no GPU";
    case GpuWithheld::Off:
      return "lends no GPU (gpu_offer is off)";
    case GpuWithheld::InUse:
      return "lends no GPU while its user is active (in_use_offer_pct is 0)";
    case GpuWithheld::Power:
      return "lends no GPU on its power now";
  }
  return "";
}

GpuOffer gpuOffer(size_t gpus, bool gpuOfferConfig, UserPresence user, unsigned inUseOfferPct,
                  double willingness) {
  auto no = [](GpuWithheld why) { return GpuOffer{0, why, gpuWithheldText(why)}; };
  if (gpus == 0) return no(GpuWithheld::NoGpu);
  if (!gpuOfferConfig) return no(GpuWithheld::Off);
  if (user == UserPresence::Active && inUseOfferPct == 0) return no(GpuWithheld::InUse);
  if (willingness <= 0) return no(GpuWithheld::Power);
  return {static_cast<unsigned>(gpus), GpuWithheld::No, ""};
}

std::vector<std::string> gpuEnvironment(const std::vector<Gpu>& all,
                                        const std::vector<unsigned>& held) {
  std::string vesta, cuda, rocm;
  bool anyNvidia =
      std::any_of(all.begin(), all.end(), [](const Gpu& g) { return g.driver == "nvidia"; });
  auto add = [](std::string& list, int n) {
    list += (list.empty() ? "" : ",") + std::to_string(n);
  };
  for (unsigned i : held) {
    if (i >= all.size()) continue;
    add(vesta, static_cast<int>(i));
    if (all[i].runtime_index < 0) continue;
    add(all[i].driver == "nvidia" ? cuda : rocm, all[i].runtime_index);
  }
  // HIP reads CUDA_VISIBLE_DEVICES too: on a machine without NVIDIA cards it names the AMD ones.
  std::string cudaVar = anyNvidia ? cuda : rocm;
  return {"VESTA_GPU=" + vesta, "CUDA_DEVICE_ORDER=PCI_BUS_ID", "CUDA_VISIBLE_DEVICES=" + cudaVar,
          "ROCR_VISIBLE_DEVICES=" + rocm, "HIP_VISIBLE_DEVICES=" + rocm};
}

std::vector<std::string> gpuDevices(const std::vector<Gpu>& all,
                                    const std::vector<unsigned>& held) {
  std::vector<std::string> out;
  for (unsigned i : held)
    if (i < all.size())
      for (const auto& d : all[i].devices)
        if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  return out;
}

std::string describeGpu(const Gpu& g) {
  std::string out = g.model;
  if (g.vendor != "unknown" && out.find(g.vendor) == std::string::npos) out = g.vendor + " " + out;
  out += " (" + g.driver;
  if (g.memory_mb) out += ", " + std::to_string(*g.memory_mb) + " MiB";
  if (g.busy_pct) out += ", " + std::to_string(*g.busy_pct) + "% busy";
  return out + ")";
}

}  // namespace vesta
