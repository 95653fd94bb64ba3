// The exec runner's GPUs: whether a --gpu job may have them, which it holds, what it is told
// (CUDA_VISIBLE_DEVICES, ...) and which device nodes its confinement opens to it. The rules are
// lib/gpus and lib/gpu_slots; this is where they meet the runner's jobs.
#include <unistd.h>

#include "exec_runner.h"
#include "log.h"

namespace vesta {
namespace {

std::string slotKey(const std::string& fp, uint64_t job) {
  return fp + ":" + std::to_string(job);
}

}  // namespace

GpuAdvert ExecRunner::gpuAdvert(bool forPeers) const {
  const NodeStatus& s = hooks_.status();
  // The owner's own jobs are not held back by the in-use rule or the power: that limits lending.
  bool offered = config_.gpu_offer && config_.allow_exec;  // GPUs are lent to exec jobs only
  GpuOffer offer = forPeers ? gpuOffer(s.gpu_list.size(), offered, s.user, config_.in_use_offer_pct,
                                       s.power.willingness)
                            : gpuOffer(s.gpu_list.size(), offered, UserPresence::Away, 100, 1);
  GpuSlots slots = gpuSlots_;
  slots.setCount(static_cast<unsigned>(s.gpu_list.size()));
  return makeGpuAdvert(s.gpu_list, offer, slots);
}

std::string ExecRunner::gpuRefusal(const std::string& fp, unsigned n) const {
  const std::string& me = config_.name;
  GpuAdvert advert = gpuAdvert(!fp.empty());
  unsigned count = static_cast<unsigned>(hooks_.status().gpu_list.size());
  if (std::string why = vesta::gpuRefusal(me, advert, count, n, nullptr); !why.empty()) return why;
  GpuSlots slots = gpuSlots_;
  slots.setCount(count);
  return slots.whyNot(me, n);  // "desk's 1 GPU is busy with job 4"
}

std::vector<unsigned> ExecRunner::takeGpus(const Key& key, unsigned n) {
  gpuSlots_.setCount(static_cast<unsigned>(hooks_.status().gpu_list.size()));
  auto taken =
      gpuSlots_.take(slotKey(key.first, key.second), "job " + std::to_string(key.second), n);
  return taken.value_or(std::vector<unsigned>{});
}

void ExecRunner::releaseGpus(const Key& key, const std::string& origin, size_t held, bool local,
                             uint64_t startedMs) {
  gpuSlots_.release(slotKey(key.first, key.second));
  if (!local && startedMs && gpuLent_) {
    double seconds = static_cast<double>(clockMs() - startedMs) / 1000.0;
    gpuLent_(key.first, origin, seconds * static_cast<double>(held));
  }
}

void ExecRunner::handGpus(const std::vector<unsigned>& gpus, SpawnSpec& spec) const {
  if (gpus.empty()) return;
  const auto& all = hooks_.status().gpu_list;
  for (auto& e : gpuEnvironment(all, gpus)) spec.env.push_back(e);
  // Only nodes that exist: a fixture sysroot's GPU, or a driver not loaded yet, has none, and
  // the job still starts (it finds no device, as it would without Vesta).
  for (auto& d : gpuDevices(all, gpus))
    if (::access(d.c_str(), F_OK) == 0) spec.devices.push_back(d);
}

}  // namespace vesta
